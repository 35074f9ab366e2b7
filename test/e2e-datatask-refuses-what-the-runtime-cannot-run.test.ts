import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import { request, type ServerProcess, startServer } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

/**
 * README: "A deploy or a run checks everything before it is queued". A task the runtime can never
 * run (an image with no `cmd` on the local runtime) is a 400 before anything is queued; in a
 * pipeline, before its first task runs, not after.
 */
describe('a task the local runtime cannot run', () => {
  let server: ServerProcess;
  const call = (method: string, route: string) =>
    request(`${server.url}${route}`, method, undefined, ME);

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'flows', {
      'tasks/extract/manifest.json': job('extract'),
      'tasks/load/manifest.json': manifest({
        name: 'load',
        type: 'job',
        'image-destination': 'registry.example.com/load:1',
      }),
      'pipelines/half/pipeline.json': `${JSON.stringify({
        name: 'half',
        tasks: [
          { name: 'extract', namespacetask: 'flows/tasks/extract' },
          { name: 'load', namespacetask: 'flows/tasks/load', dependance: ['extract'] },
        ],
      })}\n`,
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused when deployed, naming what is missing, and nothing is queued', async () => {
    const refused = await call('GET', '/v1/task/deploy/flows/tasks%2Fload');
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.message).toBe(
      `job 'load' has no command ("cmd"); the local runtime runs cmd and cannot run an image; nothing was queued`,
    );
    expect((await server.api('GET', '/api/jobs')).json.page.totalElements).toBe(0);
  });

  it('refuses a pipeline before its first task runs', async () => {
    const refused = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fhalf/half');
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.message).toContain(
      `task "load": job 'half-load' has no command ("cmd"); the local runtime runs cmd and cannot run an image`,
    );
    expect((await server.api('GET', '/api/jobs')).json.page.totalElements).toBe(0);
    expect((await call('GET', '/v1/list/tasks/flows')).json.jobs ?? []).toEqual([]);
  });
});
