import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { EnvError } from './env.js';

/**
 * Makes sure the data directory exists and can be written; a directory Slipway creates gets mode
 * 0700, since its database holds deployment secrets. A failure is one line naming
 * SLIPWAY_DATA_DIR (`given` is the value as set).
 */
export function prepareDataDir(dataDir: string, given: string): void {
  const refuse = (why: string) =>
    new EnvError(`SLIPWAY_DATA_DIR is ${JSON.stringify(given)}; ${why}`);
  try {
    makeDirectories(dataDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw refuse(`${dataDir} or a directory above it is a file; expected a directory`);
    }
    throw refuse(
      `cannot create ${dataDir} (${code ?? (error as Error).message}); expected a directory Slipway may create`,
    );
  }
  if (!statSync(dataDir).isDirectory()) {
    throw refuse(`${dataDir} or a directory above it is a file; expected a directory`);
  }
  try {
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refuse(
      `${dataDir} cannot be written by this process (${(error as NodeJS.ErrnoException).code}); expected a directory Slipway may write`,
    );
  }
}

/**
 * `mkdir -p` with mode 0700, one directory at a time. Node's own recursive mkdir never returns
 * where a directory cannot be made and ENOENT says so (under /proc, for one): it keeps trying.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const one of missing) {
    try {
      mkdirSync(one, { mode: 0o700 });
    } catch (error) {
      // Made by someone else meanwhile is as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(one).isDirectory()) {
        throw error;
      }
    }
  }
}

/** Creates `file` empty with mode 0600 unless it exists, so what is written to it later is private. */
export function createPrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Makes each of `files` that exists private (0600) if others could read or write it: files a
 * Slipway older than the rule left 0644, or that a user copied in. Answers those it changed.
 */
export function tightenFiles(files: readonly string[]): string[] {
  const changed: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    if ((statSync(file).mode & 0o077) === 0) continue;
    chmodSync(file, 0o600);
    changed.push(file);
  }
  return changed;
}

/**
 * The warning for a data directory others may enter (it holds the checkouts of the deployed
 * repositories), or undefined. Slipway does not change the mode of a directory it did not
 * create: it may be shared on purpose.
 */
export function openDataDirWarning(dataDir: string): string | undefined {
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `SLIPWAY_DATA_DIR ${dataDir} can be read by other users (mode ${mode.toString(8)}), and its checkouts hold the deployed repositories' files: run "chmod 700 ${dataDir}" unless it is shared on purpose`;
}
