import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * A SHA-256 over the names and contents of every regular file under `dir` (symlinks by their
 * target text), in a fixed order. Two checkouts of different commits give the same digest for a
 * directory nothing changed in, so a push that touches one task leaves the others unchanged.
 */
export async function digestDirectory(dir: string): Promise<string> {
  const hash = createHash('sha256');
  await walk(dir, '', hash);
  return hash.digest('hex');
}

async function walk(root: string, relative: string, hash: ReturnType<typeof createHash>) {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      await walk(root, child, hash);
    } else if (entry.isFile()) {
      hash.update(`f\0${child}\0`);
      hash.update(await readFile(path.join(root, child)));
      hash.update('\0');
    } else if (entry.isSymbolicLink()) {
      hash.update(`l\0${child}\0${await readlink(path.join(root, child))}\0`);
    }
  }
}

/**
 * Where a checkout's directory trees are listed: next to it, not in it, so nothing a workload
 * running there writes can change them.
 */
export function treesFileOf(checkoutDir: string): string {
  return `${checkoutDir}.trees`;
}

/**
 * The digest of a unit's directory in a checkout: the git tree id of that directory at the
 * checkout's commit, as listed when it was fetched, so files a workload writes into its working
 * directory (a log, `__pycache__`) never make an unchanged task look changed. A checkout without
 * the list (made by an older Slipway) is digested from its files.
 *
 * @example
 * await digestUnit(checkout.dir, 'tasks/etl') // 'tree:3b18e512dba79e4c8300dd08aeb37f8e728b8dad'
 */
export async function digestUnit(checkoutDir: string, directory: string): Promise<string> {
  const wanted = directory.replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.';
  let listed: string;
  try {
    listed = await readFile(treesFileOf(checkoutDir), 'utf8');
  } catch {
    return digestDirectory(path.join(checkoutDir, wanted));
  }
  for (const line of listed.split('\0')) {
    const space = line.indexOf(' ');
    if (line.slice(space + 1) === wanted) return `tree:${line.slice(0, space)}`;
  }
  // Not a directory git knows (empty, or only in the working tree): its files decide.
  return digestDirectory(path.join(checkoutDir, wanted));
}
