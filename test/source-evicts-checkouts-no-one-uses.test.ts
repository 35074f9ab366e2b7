import { existsSync, mkdtempSync, readdirSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitSource } from '../core/source/index.js';
import type { Checkout } from '../core/source/types.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';

const GIT_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1' };
const DAY_MS = 24 * 60 * 60 * 1000;

/** Sets a checkout's last use `daysAgo` days back. */
function usedDaysAgo(checkout: Checkout, daysAgo: number): void {
  const when = new Date(Date.now() - daysAgo * DAY_MS);
  utimesSync(checkout.dir, when, when);
}

describe('evicting checkouts from the cache', () => {
  const repos: TestRepo[] = [];
  afterEach(() => {
    for (const repo of repos.splice(0)) repo.cleanup();
  });

  /** A repository of `commits` commits, each fetched into a new cache; checkouts oldest first. */
  async function fetchedCommits(commits: number, unusedDays = 1) {
    const repo = createRepo(helloJob('hello', 'commit 0'));
    repos.push(repo);
    const shas = [repo.head()];
    for (let i = 1; i < commits; i++) shas.push(repo.commit(helloJob('hello', `commit ${i}`)));
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-evict-'));
    const source = createGitSource({
      cacheDir,
      reposDir: path.dirname(repo.dir),
      env: GIT_ENV,
      eviction: { keepPerRepository: 2, unusedMs: unusedDays * DAY_MS },
    });
    const checkouts: Checkout[] = [];
    for (const sha of shas) checkouts.push(await source.fetch(repo.dir, 'main', { commit: sha }));
    // Each used a day apart: the last one today.
    checkouts.forEach((checkout, i) => {
      usedDaysAgo(checkout, (commits - 1 - i) * 1.5);
    });
    return { source, checkouts };
  }

  it('keeps the newest of a repository, those used lately and those a workload runs from', async () => {
    const { source, checkouts } = await fetchedCommits(6);
    const [first, second, third, fourth, fifth, sixth] = checkouts as [
      Checkout,
      Checkout,
      Checkout,
      Checkout,
      Checkout,
      Checkout,
    ];
    await source.evict?.([path.join(second.dir, 'tasks', 'hello')]);
    const kept = checkouts.filter((c) => existsSync(c.dir)).map((c) => c.commit);
    // The two newest (the fifth was used 1.5 days ago), and the second: a workload runs from it.
    expect(kept).toEqual([second.commit, fifth.commit, sixth.commit]);
    for (const gone of [first, third, fourth]) {
      expect(existsSync(`${gone.dir}.trees`)).toBe(false);
    }
    // Nothing half-deleted is left beside them.
    expect(readdirSync(path.dirname(first.dir)).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('counts a checkout served from the cache as used, and fetches an evicted one again', async () => {
    const { source, checkouts } = await fetchedCommits(4);
    const [first, second] = checkouts as [Checkout, Checkout];
    // Served from the cache: its use is now, so it stays.
    const again = await source.fetch(first.url, 'main', { commit: first.commit });
    expect(again.dir).toBe(first.dir);
    expect(Date.now() - statSync(first.dir).mtimeMs).toBeLessThan(60_000);
    await source.evict?.([]);
    expect(existsSync(first.dir)).toBe(true);
    expect(existsSync(second.dir)).toBe(false);
    // An evicted commit is fetched again, whole.
    const refetched = await source.fetch(second.url, 'main', { commit: second.commit });
    expect(refetched.dir).toBe(second.dir);
    expect(existsSync(path.join(second.dir, 'tasks', 'hello', 'manifest.json'))).toBe(true);
    expect(existsSync(`${second.dir}.trees`)).toBe(true);
  });

  it('keeps every checkout used within the time the policy gives', async () => {
    const { source, checkouts } = await fetchedCommits(4, 30);
    await source.evict?.([]);
    expect(checkouts.every((c) => existsSync(c.dir))).toBe(true);
  });
});
