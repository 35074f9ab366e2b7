import { existsSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helloJob, webService } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Five commits deployed, then a rollback to the first: its service runs from the first
 * checkout. With every checkout unused for days, a restart evicts those beyond the three most
 * recently used, but never the one the service runs from.
 */
describe('the checkout cache, at start', () => {
  let repo: TestRepo | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('evicts checkouts unused for a day beyond the newest three, but not one a service runs from', async () => {
    const port = 47000 + Math.floor(Math.random() * 2000);
    repo = createRepo({ ...webService('web', port), ...helloJob('note', 'v1') });
    const commits = [repo.head()];
    for (let i = 2; i <= 5; i++) commits.push(repo.commit(helloJob('note', `v${i}`)));
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-evict-data-'));
    server = await startServer({ dataDir });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'cache',
      repositoryUrl: repo.dir,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    // Each commit, then back to the first: the service (the same in all five) changed only
    // by its checkout; the rollback re-creates nothing, and it runs on where it was.
    for (const commit of [...commits, commits[0]]) {
      const deploy = await server.api('POST', `/api/workspaces/${id}/deployments?commit=${commit}`);
      expect((await waitForJob(server, deploy.json.id)).status).toBe('COMPLETE');
    }
    const cache = path.join(dataDir, 'checkouts');
    const key = readdirSync(cache).find((entry) => /^[0-9a-f]{16}$/.test(entry)) as string;
    const dirOf = (commit: string) => path.join(cache, key, commit);
    // Used 10, 9, 8, 7 and 6 days ago in commit order; the first the longest ago of all.
    commits.forEach((commit, i) => {
      const when = new Date(Date.now() - (i === 0 ? 20 : 10 - i) * DAY_MS);
      utimesSync(dirOf(commit), when, when);
    });

    await server.stop();
    server = await startServer({ dataDir });
    // Said once the sweep is over.
    await eventually(
      async () =>
        server?.output.some((line) => line.includes('evicted 1 checkout(s) no longer used')) ||
        undefined,
      'the sweep at start to say it evicted one checkout',
      20_000,
    );
    expect(commits.map((commit) => existsSync(dirOf(commit)))).toEqual([
      true, // the service runs from it
      false,
      true,
      true,
      true,
    ]);
    expect(existsSync(`${dirOf(commits[1] as string)}.trees`)).toBe(false);
    // The evicted commit deploys again (fetched anew), and the deploy finds the service,
    // restarted from its checkout, healthy.
    const again = await server.api(
      'POST',
      `/api/workspaces/${id}/deployments?commit=${commits[1]}`,
    );
    expect((await waitForJob(server, again.json.id)).status).toBe('COMPLETE');
    expect(existsSync(dirOf(commits[1] as string))).toBe(true);
  }, 120_000);
});
