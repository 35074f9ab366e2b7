import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DiscoveredUnit } from './types.js';

const SKIPPED = new Set(['.git', 'node_modules']);
const UNIT_FILES: Record<string, DiscoveredUnit['kind']> = {
  'manifest.json': 'task',
  'pipeline.json': 'pipeline',
};

/**
 * Every task (`manifest.json`) and pipeline (`pipeline.json`) under `root`, sorted by file path,
 * with `/` separators. `.git` and `node_modules` are skipped, and symlinked directories are never
 * walked into, so a repository cannot point discovery outside itself. A unit file that is a
 * symlink is listed with `symlink: true`, for its reader to resolve (`resolveUnitFile`) and
 * refuse when it leads out of the checkout: never silently left out of a deploy.
 *
 * @example
 * await discoverUnits(checkout.dir)
 * // [{ kind: 'task', directory: 'tasks/hello', file: 'tasks/hello/manifest.json' }, ...]
 */
export async function discoverUnits(root: string): Promise<DiscoveredUnit[]> {
  const units: DiscoveredUnit[] = [];
  const walk = async (relative: string) => {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !SKIPPED.has(entry.name)) await walk(child);
      const kind = UNIT_FILES[entry.name];
      if (!kind) continue;
      const directory = relative || '.';
      if (entry.isFile()) units.push({ kind, directory, file: child });
      else if (entry.isSymbolicLink()) units.push({ kind, directory, file: child, symlink: true });
    }
  };
  await walk('');
  return units.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
