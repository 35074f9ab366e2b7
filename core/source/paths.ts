import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';

/**
 * The absolute path of a unit directory inside a checkout. `..` segments, absolute paths,
 * backslashes and symlinks that lead outside the checkout are refused (400); a directory that is
 * not there is a 404 naming it. `''` and `.` mean the root.
 *
 * @example
 * await resolveUnitDirectory('/cache/abc', 'tasks/hello', 'demo@1a2b3c4')
 */
export async function resolveUnitDirectory(
  root: string,
  directory: string,
  label = 'the repository',
): Promise<string> {
  const refuse = (why: string) =>
    new SlipwayError(
      'PATH_INVALID',
      `directory "${directory}" ${why}; expected a relative path inside the repository`,
    );
  if (directory.includes('\0') || directory.includes('\\'))
    throw refuse('contains a NUL or backslash');
  if (path.isAbsolute(directory) || directory.startsWith('/')) throw refuse('is absolute');
  if (directory.split('/').includes('..')) throw refuse('contains ".."');
  const rootReal = await realpath(root);
  const candidate = path.join(rootReal, directory);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new SlipwayError('NOT_FOUND', `directory '${directory}' not found in ${label}`);
  }
  if (real !== rootReal && !real.startsWith(`${rootReal}${path.sep}`))
    throw refuse('leads outside the repository');
  if (!(await stat(real)).isDirectory()) {
    throw new SlipwayError('NOT_FOUND', `directory '${directory}' not found in ${label}`);
  }
  return real;
}
