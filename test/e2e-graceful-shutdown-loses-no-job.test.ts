import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slowJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe('SIGTERM: running jobs finish within the grace period, the rest go back to the queue', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function deployingServer(jobMs: number, graceSeconds: number) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-grace-'));
    const marker = path.join(dir, 'runs');
    const repo: TestRepo = createRepo(slowJob('slow', marker, jobMs));
    const dataDir = path.join(dir, 'data');
    const env = { SLIPWAY_SHUTDOWN_GRACE_SECONDS: String(graceSeconds) };
    const server: ServerProcess = await startServer({ dataDir, env });
    cleanups.push(() => repo.cleanup());
    const ws = await server.api('POST', '/api/workspaces', { name: 'g', repositoryUrl: repo.dir });
    const job = (await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`)).json;
    await waitForJob(server, job.id, ['RUNNING']);
    // The job's process is up: it wrote its start.
    for (let i = 0; i < 100 && !readFileSync(marker, { flag: 'a+' }).toString(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { server, job, marker, dataDir, env };
  }

  it('lets a job that ends within the grace period finish, exits 0, and does not run it again', async () => {
    const { server, job, marker, dataDir, env } = await deployingServer(1500, 20);
    const started = Date.now();
    expect(await server.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(server.logs().some((l) => l.msg === 'waiting for running jobs to finish')).toBe(true);
    const again = await startServer({ dataDir, env });
    cleanups.push(() => again.stop());
    expect((await waitForJob(again, job.id)).status).toBe('COMPLETE');
    expect(readFileSync(marker, 'utf8').match(/^start/gm)).toHaveLength(1);
    expect((await jobLog(again, job.id)).match(/WORKSPACE_DEPLOY started/g)).toHaveLength(1);
  });

  it('puts a job still running at the end of the grace period back in the queue; the next start runs it', async () => {
    const { server, job, marker, dataDir, env } = await deployingServer(4000, 1);
    const started = Date.now();
    expect(await server.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(server.logs()).toContainEqual(
      expect.objectContaining({
        jobId: job.id,
        msg: 'job put back in the queue: it runs again when Slipway starts',
      }),
    );
    const again = await startServer({ dataDir, env });
    cleanups.push(() => again.stop());
    const done = await waitForJob(again, job.id, ['COMPLETE', 'ERROR', 'STOPPED'], 30_000);
    expect(done.status).toBe('COMPLETE');
    // No attempt was used up by the shutdown: it ran again from the queue.
    expect(done.attempt).toBe(0);
    expect(readFileSync(marker, 'utf8').match(/^start/gm)?.length).toBeGreaterThanOrEqual(2);
    const log = await jobLog(again, job.id);
    expect(log).toContain('Slipway is shutting down; the job runs again when it starts');
    // The job task the deploy had started is stopped for the shutdown, not as if withdrawn.
    expect(log).toContain(
      "job 'slow' stopped: Slipway is shutting down; the deploy runs again when it starts",
    );
    expect(log).not.toContain('the deploy was withdrawn');
  });

  it('counts a job the interrupted deploy changed as changed, not created, when the next start makes it anew', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-grace-'));
    const marker = path.join(dir, 'runs');
    const repo: TestRepo = createRepo(slowJob('slow', marker, 100));
    cleanups.push(() => repo.cleanup());
    const dataDir = path.join(dir, 'data');
    const env = { SLIPWAY_SHUTDOWN_GRACE_SECONDS: '1' };
    const server = await startServer({ dataDir, env });
    const ws = await server.api('POST', '/api/workspaces', { name: 'c', repositoryUrl: repo.dir });
    const first = (await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`)).json;
    expect((await waitForJob(server, first.id)).status).toBe('COMPLETE');
    // The job changes and runs long: the server stops in the middle of it.
    repo.commit(slowJob('slow', marker, 4000));
    const second = (await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`)).json;
    await waitForJob(server, second.id, ['RUNNING']);
    for (let i = 0; i < 100 && readFileSync(marker, 'utf8').match(/^start/gm)?.length !== 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await server.stop()).toBe(0);
    const again = await startServer({ dataDir, env });
    cleanups.push(() => again.stop());
    const done = await waitForJob(again, second.id, undefined, 30_000);
    expect(done.status).toBe('COMPLETE');
    expect(done.result.changed).toEqual([expect.objectContaining({ kind: 'job', name: 'slow' })]);
    expect(done.result.created).toEqual([]);
  });

  it('takes one Ctrl-C delivered twice (terminal and npm) as one, and still shuts down in order', async () => {
    const { server, job, dataDir, env } = await deployingServer(1500, 20);
    const exited = new Promise<number | null>((resolve) =>
      server.child.once('exit', (code) => resolve(code)),
    );
    server.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(server.logs().map((l) => l.msg)).toContain('stopped');
    const again = await startServer({ dataDir, env });
    cleanups.push(() => again.stop());
    expect((await waitForJob(again, job.id)).status).toBe('COMPLETE');
    expect(again.logs().some((l) => String(l.msg).includes('left running by a previous'))).toBe(
      false,
    );
  });
});
