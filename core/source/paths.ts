import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';

/**
 * The absolute (symlink-free) path of a unit directory inside a checkout. An absolute path, a
 * `..` segment, a backslash, a NUL byte, and a symlink that leads outside the checkout are
 * refused with PATH_INVALID (400); a directory that is not there is NOT_FOUND naming it and
 * `label` (`<repository>@<short commit>`). `''` and `.` mean the root.
 *
 * @example
 * await resolveUnitDirectory('/cache/abc/1a2b...', 'tasks/hello', 'demo@1a2b3c4')
 * // '/cache/abc/1a2b.../tasks/hello'
 */
export async function resolveUnitDirectory(
  root: string,
  directory: string,
  label = 'the repository',
): Promise<string> {
  const refuse = (why: string) =>
    new SlipwayError(
      'PATH_INVALID',
      `directory "${directory.replace(/\0/g, '\\0')}" ${why}; expected a relative path inside the repository`,
      { details: { directory } },
    );
  const missing = () =>
    new SlipwayError('NOT_FOUND', `directory '${directory}' not found in ${label}`, {
      details: { directory },
    });
  if (directory.includes('\0')) throw refuse('contains a NUL byte');
  if (directory.includes('\\')) throw refuse('contains a backslash');
  if (path.isAbsolute(directory)) throw refuse('is absolute');
  if (directory.split('/').includes('..')) throw refuse('contains ".."');
  const rootReal = await realpath(root);
  let real: string;
  try {
    real = await realpath(path.join(rootReal, directory));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse('is a symlink loop');
    if (code === 'ENOENT' || code === 'ENOTDIR') throw missing();
    throw error;
  }
  // Symlinks are resolved first: a link inside the checkout may point anywhere.
  if (real !== rootReal && !real.startsWith(`${rootReal}${path.sep}`)) {
    throw refuse('leads outside the repository');
  }
  if (!(await stat(real)).isDirectory()) throw missing();
  return real;
}
