import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isRunning } from '../process-alive.js';
import type { Logger } from '../types.js';

/** Set in the environment of every git Slipway runs: the checkout cache it fetches into... */
export const CACHE_VARIABLE = 'SLIPWAY_GIT_CACHE';
/** ...and the pid of the Slipway process that started it. */
export const OWNER_VARIABLE = 'SLIPWAY_GIT_OWNER';
/** Temp directories a fetch builds its checkout in: `.fetch-<pid of Slipway>-<random>`. */
export const FETCH_PREFIX = '.fetch-';

/**
 * Clears what a Slipway that died mid-fetch (SIGKILL, a crash) left in the checkout cache: its
 * git processes, which run detached and fetch on for minutes, and the `.fetch-*` temp
 * directories they fetched into, which nothing would remove. Only what belongs to a Slipway
 * process that no longer runs is touched, so another source in this process (or a live one
 * elsewhere) keeps its fetches. Git processes are found by the variables of their environment
 * in `/proc`; where there is none (macOS) they are left to end on their own.
 */
export async function cleanLeftovers(cacheDir: string, logger: Logger): Promise<void> {
  const cache = path.resolve(cacheDir);
  const killed = killLeftoverGit(cache);
  if (killed.length > 0) {
    logger.warn({ pids: killed }, 'killed git processes left fetching by a previous Slipway');
  }
  let keys: string[];
  try {
    keys = await readdir(cache);
  } catch {
    return; // No cache yet.
  }
  for (const key of keys) {
    let entries: string[];
    try {
      entries = await readdir(path.join(cache, key));
    } catch {
      continue; // A file (the cache's package.json), or gone.
    }
    for (const entry of entries) {
      if (!entry.startsWith(FETCH_PREFIX) || ownerRuns(entry)) continue;
      await rm(path.join(cache, key, entry), { recursive: true, force: true });
      logger.info({ dir: path.join(key, entry) }, 'removed a fetch a previous Slipway left');
    }
  }
}

/** Whether the Slipway process named in a temp directory's name still runs. */
function ownerRuns(entry: string): boolean {
  const match = /^\.fetch-(\d+)-/.exec(entry);
  // A name without a pid is from a Slipway older than the pid in the name: long gone.
  if (!match) return false;
  const pid = Number(match[1]);
  return pid === process.pid || isRunning(pid);
}

/** Kills git processes fetching into `cache` for a Slipway that no longer runs; their pids. */
function killLeftoverGit(cache: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  const killed: number[] = [];
  for (const name of readdirNames('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
    } catch {
      continue; // Gone, or another user's.
    }
    if (!environ.includes(`${CACHE_VARIABLE}=${cache}`)) continue;
    const owner = Number(
      environ.find((v) => v.startsWith(`${OWNER_VARIABLE}=`))?.slice(OWNER_VARIABLE.length + 1),
    );
    if (!Number.isInteger(owner) || owner === process.pid || isRunning(owner)) continue;
    try {
      process.kill(Number(name), 'SIGKILL');
      killed.push(Number(name));
    } catch {
      // Ended meanwhile.
    }
  }
  return killed;
}

/** The names in `dir`; none when it is missing or no directory. */
export function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
