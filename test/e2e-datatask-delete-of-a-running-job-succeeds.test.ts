import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

// Deleting a job whose deploy is still running withdraws that deploy, which stops (deletes) the
// job it started; the delete then finds nothing left, but the job existed and is gone: 200.
describe('deleting a job while its deploy runs', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'flows', {
      'tasks/slow/manifest.json': job('slow', { lines: ['slow started'], ms: 60_000 }),
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (method: string, route: string) =>
    request(`${server.url}${route}`, method, undefined, ME);

  it('answers a successful delete, stops the run, and 404 only the second time', async () => {
    const deployed = await call('GET', '/v1/task/deployas/flows/tasks%2Fslow/slow2');
    expect(deployed.status).toBe(202);
    await eventually(async () => {
      const state = await call('GET', `/v1/task/state/${deployed.json.id}`);
      return state.json.status === 'running' ? state : undefined;
    }, 'slow2 to run');

    const deleted = await call('GET', '/v1/delete/job/flows/slow2');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ deleted: { kind: 'job', namespace: 'flows', name: 'slow2' } });
    expect((await waitForJob(server, deployed.json.id)).status).toBe('STOPPED');
    const list = await call('GET', '/v1/list/tasks/flows');
    expect(JSON.stringify(list.json)).not.toContain('slow2');

    const again = await call('GET', '/v1/delete/job/flows/slow2');
    expect(again.status).toBe(404);
    expect(again.text).toContain("job 'slow2' not found");
  });
});
