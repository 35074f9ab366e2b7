import { renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../types.js';
import { FETCH_PREFIX, readdirNames } from './clean-leftovers.js';
import { treesFileOf } from './digest.js';

/** What `evictCheckouts` keeps. */
export interface EvictionPolicy {
  /** The most recently used checkouts of each repository, kept however old (rollbacks). */
  keepPerRepository: number;
  /** A checkout used (fetched, or served from the cache) within this long is kept. */
  unusedMs: number;
}

/** Three checkouts a repository, and any used in the last day. */
export const DEFAULT_EVICTION: EvictionPolicy = {
  keepPerRepository: 3,
  unusedMs: 24 * 60 * 60 * 1000,
};

const COMMIT_DIR = /^[0-9a-f]{40}$/;

/**
 * Removes from the checkout cache (`<cacheDir>/<repository key>/<commit>`, with its
 * `<commit>.trees`) the checkouts that are neither among the `keepPerRepository` most recently
 * used of their repository, nor used within `unusedMs`, nor under a directory of `inUse` (a
 * local workload runs from it). Use is the checkout directory's mtime, which the source sets
 * each time it hands the checkout out. Each is taken out of the cache by a rename in the same
 * synchronous turn as its last look, so a fetch in this process finds it whole or not at all,
 * and deleted after; the renamed directory carries the fetch temp prefix, so one a crash left
 * half-deleted goes at the next start.
 */
export async function evictCheckouts(
  cacheDir: string,
  inUse: readonly string[],
  policy: EvictionPolicy,
  now: number,
  logger: Logger,
): Promise<void> {
  const used = inUse.map((dir) => path.resolve(dir));
  const runsFrom = (dir: string) =>
    used.some((u) => u === dir || u.startsWith(`${dir}${path.sep}`));
  const removed: string[] = [];
  for (const key of readdirNames(cacheDir)) {
    const base = path.join(path.resolve(cacheDir), key);
    const checkouts = readdirNames(base)
      .filter((entry) => COMMIT_DIR.test(entry))
      .map((commit) => ({
        commit,
        dir: path.join(base, commit),
        usedAt: mtimeOf(path.join(base, commit)),
      }))
      .filter((c) => c.usedAt !== undefined)
      .sort((a, b) => (b.usedAt ?? 0) - (a.usedAt ?? 0));
    for (const checkout of checkouts.slice(policy.keepPerRepository)) {
      if (runsFrom(checkout.dir)) continue;
      // The last look and the rename in one turn: a fetch cannot hand it out in between.
      const usedAt = mtimeOf(checkout.dir);
      if (usedAt === undefined || now - usedAt < policy.unusedMs) continue;
      const doomed = path.join(base, `${FETCH_PREFIX}${process.pid}-evicted-${checkout.commit}`);
      try {
        renameSync(checkout.dir, doomed);
        rmSync(treesFileOf(checkout.dir), { force: true });
      } catch (error) {
        logger.warn({ err: error, dir: checkout.dir }, 'could not evict a checkout');
        continue;
      }
      await rm(doomed, { recursive: true, force: true });
      removed.push(path.join(key, checkout.commit));
    }
  }
  if (removed.length > 0) {
    logger.info({ checkouts: removed }, `evicted ${removed.length} checkout(s) no longer used`);
  }
}

function mtimeOf(dir: string): number | undefined {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() ? stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}
