import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';

/**
 * The absolute (symlink-free) path of a unit directory inside a checkout. An absolute path, a
 * `..` segment, a backslash, a NUL byte, and a symlink that leads outside the checkout (even to
 * nothing) are refused with PATH_INVALID (400); a directory that is not there is NOT_FOUND naming
 * it and `label` (`<repository>@<short commit>`). `''` and `.` mean the root.
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
  const real = await locate(root, directory, refuse, missing);
  if (!(await stat(real)).isDirectory()) throw missing();
  return real;
}

/**
 * The absolute (symlink-free) path of a unit's file (`manifest.json`, `pipeline.json`), given
 * relative to the checkout root as `resolveUnitDirectory` returned its directory. A file that
 * is a symlink leading outside the checkout is refused with PATH_INVALID (400): following it
 * would deploy, or hand back, whatever the link points at on this machine (DESIGN.md section
 * 6). A file that is not there, or is no regular file, is NOT_FOUND naming it and `label`.
 *
 * @example
 * await resolveUnitFile('/cache/abc/1a2b...', 'tasks/hello/manifest.json', 'demo@1a2b3c4')
 * // '/cache/abc/1a2b.../tasks/hello/manifest.json'
 */
export async function resolveUnitFile(
  root: string,
  file: string,
  label = 'the repository',
): Promise<string> {
  const refuse = (why: string) =>
    new SlipwayError(
      'PATH_INVALID',
      `file "${file}" ${why}; expected a file inside the repository`,
      { details: { file } },
    );
  const missing = () =>
    new SlipwayError('NOT_FOUND', `${file} not found in ${label}`, { details: { file } });
  const real = await locate(root, file, refuse, missing);
  if (!(await stat(real)).isFile()) throw missing();
  return real;
}

/** `relative` resolved inside `root` with every symlink followed; refused when it leaves it. */
async function locate(
  root: string,
  relative: string,
  refuse: (why: string) => SlipwayError,
  missing: () => SlipwayError,
): Promise<string> {
  const rootReal = await realpath(root);
  let real: string;
  try {
    real = await realpath(path.join(rootReal, relative));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse('is a symlink loop');
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A dangling link is still a link out of the checkout: say so, not "not found".
      if (!inside(rootReal, await destination(rootReal, relative))) {
        throw refuse('leads outside the repository');
      }
      throw missing();
    }
    throw error;
  }
  // Symlinks are resolved first: a link inside the checkout may point anywhere.
  if (!inside(rootReal, real)) throw refuse('leads outside the repository');
  return real;
}

function inside(rootReal: string, target: string): boolean {
  return target === rootReal || target.startsWith(`${rootReal}${path.sep}`);
}

/**
 * Where `relative` would lead from `rootReal` when part of it does not exist: symlinks are
 * followed by hand as far as they go, and the rest of the path is appended to the first
 * missing point. Loops stop after 40 links (Linux's own limit) where they stand.
 */
async function destination(rootReal: string, relative: string): Promise<string> {
  const pending = segments(relative);
  let current = rootReal;
  let links = 0;
  while (pending.length > 0) {
    const segment = pending.shift() as string;
    if (segment === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, segment);
    let isLink: boolean;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch {
      return path.resolve(next, ...pending);
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > 40) return next;
    const target = await readlink(next);
    if (path.isAbsolute(target)) current = path.parse(target).root;
    pending.unshift(...segments(target));
  }
  return current;
}

function segments(relative: string): string[] {
  return relative.split('/').filter((s) => s !== '' && s !== '.');
}
