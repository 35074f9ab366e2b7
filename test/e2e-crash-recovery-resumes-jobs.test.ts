import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoIn } from './fixtures/datatask.js';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo } from './helpers/git.js';
import { isAlive } from './helpers/local-runtime/harness.js';
import {
  eventually,
  jobLog,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

describe('a server killed with SIGKILL in the middle of a deploy', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  /**
   * A server deploying workspace `name` of a job that takes `ms`, once the job has started: the
   * server, the repository, the job's marker file, the workspace, the deploy and the job's pid.
   */
  async function deployingSlowJob(name: string, ms: number) {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-')), 'runs.txt');
    const repo = createRepo(slowJob('slow', marker, ms));
    const first = await startServer();
    servers.push(first);
    const ws = await first.api('POST', '/api/workspaces', { name, repositoryUrl: repo.dir });
    const queued = await first.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const pid = await slowJobStarted(marker);
    return { first, repo, marker, ws, queued, pid };
  }

  /**
   * Kills `first` with SIGKILL, starts a server on its data directory, and waits there for job
   * `id` to complete on its second attempt: the new server, the job and its log.
   */
  async function killAndComplete(first: ServerProcess, id: string, reposDir?: string) {
    await first.kill();
    const second = await startServer({ dataDir: first.dataDir, ...(reposDir ? { reposDir } : {}) });
    servers.push(second);
    const done = await waitForJob(second, id, ['COMPLETE', 'ERROR', 'STOPPED'], 60_000);
    const log = await jobLog(second, id);
    expect(done.status, log).toBe('COMPLETE');
    expect(done.attempt).toBe(1);
    return { second, done, log };
  }

  it('picks the job up again after a restart: it ends COMPLETE, nothing lost, nothing run twice at once', async () => {
    const {
      first,
      repo,
      marker,
      ws,
      queued,
      pid: firstPid,
    } = await deployingSlowJob('crash', 8000);
    expect((await first.api('GET', `/api/jobs/${queued.json.id}`)).json.status).toBe('RUNNING');

    const { second, log } = await killAndComplete(first, queued.json.id);
    expect(log).toContain('the worker running this job stopped');
    expect(log).toContain('[slow] finished');

    // The first run was killed before it could finish (it runs 8 s: longer than a restart takes
    // on a loaded machine, or it ends on its own first); the second ran once, to the end.
    const runs = readFileSync(marker, 'utf8').trim().split('\n');
    const ends = runs.filter((line) => line.startsWith('end'));
    expect(ends).toHaveLength(1);
    expect(ends[0]).not.toBe(`end ${firstPid}`);
    expect(isAlive(firstPid)).toBe(false);

    // The job list still has exactly the jobs created before the crash.
    const jobs = await second.api('GET', `/api/workspaces/${ws.json.id}/jobs`);
    expect(jobs.json._embedded.jobs.map((j: { id: string }) => j.id)).toEqual([queued.json.id]);
    repo.cleanup();
  });

  it('reports the whole deploy after a restart: what the killed attempt created and pruned counts', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-')), 'runs.txt');
    const repo = createRepo({ ...helloJob('kept'), ...helloJob('dropped') });
    const first = await startServer();
    servers.push(first);
    const ws = await first.api('POST', '/api/workspaces', {
      name: 'whole',
      repositoryUrl: repo.dir,
    });
    const initial = await first.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await waitForJob(first, initial.json.id, ['COMPLETE'], 30_000);

    repo.commit({ 'tasks/dropped/manifest.json': null, ...slowJob('slow', marker, 3000) });
    const queued = await first.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    // The slow job runs once the deploy has applied it and pruned 'dropped'.
    await slowJobStarted(marker);
    const { done, log } = await killAndComplete(first, queued.json.id);
    // The first attempt's last lines may have died with it; the second says what it did.
    expect(log).toContain("job 'slow' created (by an earlier attempt of this deploy)");
    expect(log).toContain("job 'dropped' pruned (by an earlier attempt of this deploy)");
    const ref = (name: string) => [{ kind: 'job', namespace: 'whole', name }];
    expect(done.result).toMatchObject({
      created: ref('slow'),
      changed: [],
      unchanged: ref('kept'),
      pruned: ref('dropped'),
    });
    expect(done.message).toMatch(/: 1 created, 0 changed, 1 unchanged, 1 pruned in /);
    repo.cleanup();
  });

  it('reports a DataTask task the killed attempt applied as created', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-')), 'runs.txt');
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-repos-'));
    const repo = repoIn(reposDir, 'etl', slowJob('slow', marker, 3000));
    const first = await startServer({ reposDir });
    servers.push(first);
    const deploy = await request(`${first.url}/v1/task/deploy/etl/tasks%2Fslow`, 'GET', undefined, {
      identity: 'dev@example.com',
    });
    expect(deploy.status).toBe(202);
    await slowJobStarted(marker);
    const { done } = await killAndComplete(first, deploy.json.id, reposDir);
    expect(done.result).toMatchObject({ name: 'slow', kind: 'job', action: 'created' });
    expect(done.message).toMatch(/^job 'slow' created: /);
    repo.cleanup();
  });

  it('leaves the workspace READY when the deploy taken up after a restart is withdrawn', async () => {
    const { first, repo, marker, ws, queued } = await deployingSlowJob('held', 30_000);
    await first.kill();

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    await eventually(
      () => (readFileSync(marker, 'utf8').match(/^start /gm)?.length === 2 ? true : undefined),
      'the job to run again after the restart',
      20_000,
    );
    expect((await second.api('GET', `/api/workspaces/${ws.json.id}`)).json.status).toBe(
      'PROVISIONING',
    );
    expect((await second.api('PUT', `/api/jobs/${queued.json.id}/stopped`)).status).toBe(202);
    await waitForJob(second, queued.json.id, ['STOPPED'], 10_000);
    // Before, the second attempt put back the status it found: the first attempt's PROVISIONING.
    const workspace = await eventually(async () => {
      const now = (await second.api('GET', `/api/workspaces/${ws.json.id}`)).json;
      return now.status !== 'PROVISIONING' ? now : undefined;
    }, 'the workspace to leave PROVISIONING');
    expect(workspace.status).toBe('READY');
    repo.cleanup();
  });

  it('refuses to start a second server on a data directory in use', async () => {
    const running = await startServer();
    servers.push(running);
    await expect(startServer({ dataDir: running.dataDir })).rejects.toThrow(
      /in use by another Slipway/,
    );
  });

  it('refuses it even once the lock file was removed, and the first server runs on', async () => {
    const running = await startServer();
    servers.push(running);
    for (const file of readdirSync(running.dataDir).filter((f) => f.startsWith('slipway.lock'))) {
      rmSync(path.join(running.dataDir, file));
    }
    await expect(startServer({ dataDir: running.dataDir })).rejects.toThrow(
      `data directory ${running.dataDir} is in use by another Slipway (process ${running.child.pid}), although its lock file slipway.lock was removed`,
    );
    expect((await running.api('GET', '/api/workspaces')).status).toBe(200);
    // Once the first one is gone, its record stops no one.
    await running.stop();
    const next = await startServer({ dataDir: running.dataDir });
    servers.push(next);
    expect((await next.api('GET', '/api/workspaces')).status).toBe(200);
  });
});
