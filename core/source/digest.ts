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
