import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { jobLog, request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

// A DataTask deploy of a run-to-completion task is a request to run it (seed 001): deploying the
// same job twice runs it twice, whether the first run succeeded or failed.
describe('each DataTask deploy of a job runs it again', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'flows', {
      'tasks/ok/manifest.json': job('ok', { lines: ['ok ran'] }),
      'tasks/fail/manifest.json': job('fail', { lines: ['fail ran'], exitCode: 3 }),
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (method: string, route: string) =>
    request(`${server.url}${route}`, method, undefined, ME);

  async function deployTwice(route: string) {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const response = await call('GET', route);
      expect(response.status).toBe(202);
      const ended = await waitForJob(server, response.json.id);
      runs.push({ job: ended, log: await jobLog(server, response.json.id) });
    }
    return runs;
  }

  it('runs a succeeded job again, its output in the second log too', async () => {
    const [first, second] = await deployTwice('/v1/task/deployinas/flows/tasks%2Fok/rerun/o');
    expect(first?.job.status).toBe('COMPLETE');
    expect(second?.job.status).toBe('COMPLETE');
    expect(first?.log).toContain('[o] ok ran');
    expect(second?.log).toContain('[o] ok ran');
    expect(second?.log).not.toContain("job 'o' unchanged");
  });

  it('runs a failed job again: a new process, not the old failure', async () => {
    const [first, second] = await deployTwice('/v1/task/deployinas/flows/tasks%2Ffail/rerun/f');
    for (const run of [first, second]) {
      expect(run?.job.status).toBe('ERROR');
      expect(run?.job.message).toContain("job 'f' failed: exited with code 3");
      expect(run?.log).toContain('[f] fail ran');
    }
    expect(second?.log).not.toContain("job 'f' unchanged");
    // The task's state is the second run's.
    const state = await call('GET', `/v1/task/state/${second?.job.id}`);
    expect(state.json).toMatchObject({ status: 'failed' });
  });

  it("answers each deploy's own state by its id, not the latest run of the task's name", async () => {
    // The same name, a job that succeeds, then one that fails, then one that succeeds.
    const ids: string[] = [];
    for (const directory of ['ok', 'fail', 'ok']) {
      const response = await call('GET', `/v1/task/deployinas/flows/tasks%2F${directory}/rerun/s`);
      expect(response.status).toBe(202);
      await waitForJob(server, response.json.id);
      ids.push(response.json.id);
    }
    const states = await Promise.all(
      ids.map(async (id) => (await call('GET', `/v1/task/state/${id}`)).json),
    );
    expect(states.map((state) => state.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(states[0].message).toMatch(
      new RegExp(`^since replaced by task deploy ${ids[1]}; this one ended: `),
    );
    expect(states[1].message).toMatch(
      new RegExp(
        `^since replaced by task deploy ${ids[2]}; this one ended: job 's' failed: exited with code 3`,
      ),
    );
    for (const state of states) {
      expect(state.startTime, JSON.stringify(state)).toEqual(expect.any(String));
      expect(state.completionTime, JSON.stringify(state)).toEqual(expect.any(String));
    }
    // Each its own times: the second run started after the first one ended.
    expect(Date.parse(states[1].startTime)).toBeGreaterThanOrEqual(
      Date.parse(states[0].completionTime),
    );
  });
});
