import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe('SLIPWAY_TASK_TIMEOUT_SECONDS', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('bounds how long a task deploy waits for its task', async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-timeout-repos-'));
    const repo = repoIn(reposDir, 'etl', { 'long/manifest.json': job('long', { ms: 120_000 }) });
    server = await startServer({ reposDir, env: { SLIPWAY_TASK_TIMEOUT_SECONDS: '2' } });
    const started = Date.now();
    const deploy = await request(`${server.url}/v1/task/deploy/etl/long`, 'GET', undefined, {
      identity: 'dev@example.com',
    });
    expect(deploy.status).toBe(202);
    // The default (600 s) would keep it RUNNING far past this test's patience.
    const done = await waitForJob(server, deploy.json.id, ['COMPLETE', 'ERROR', 'STOPPED'], 30_000);
    expect(done.status).not.toBe('COMPLETE');
    expect(done.message).toContain('not healthy after 2 s');
    expect(Date.now() - started).toBeLessThan(30_000);
    repo.cleanup();
  });
});
