import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import {
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

/** A pipeline of one task that runs for a while, so a kill would have something to stop. */
const SLOW_PIPELINE = JSON.stringify({
  name: 'slow',
  tasks: [{ name: 'nap', namespacetask: 'flows/tasks/nap' }],
});

describe('HEAD on the DataTask routes that change something (link checkers, monitors)', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-head-'));
    repoIn(reposDir, 'flows', {
      'tasks/hello/manifest.json': job('hello'),
      'tasks/nap/manifest.json': job('nap', { ms: 60_000 }),
      'pipelines/slow/pipeline.json': SLOW_PIPELINE,
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (method: string, route: string, headers: Record<string, string> = ME) =>
    request(`${server.url}${route}`, method, undefined, headers);

  /** Every job the server holds (Matatika's list, read with the admin token). */
  const jobCount = async () => {
    const jobs = await request(`${server.url}/api/jobs?size=1`, 'GET', undefined, {
      authorization: `Bearer ${server.adminToken}`,
    });
    return jobs.json.page.totalElements as number;
  };

  const listed = async (namespace: string) => {
    const tasks = (await call('GET', `/v1/list/tasks/${namespace}`)).json;
    return [...tasks.jobs, ...tasks.cronJobs, ...tasks.deployments, ...tasks.services].map(
      (t: Json) => t.name,
    );
  };

  it('refuses HEAD with 405 and Allow: GET, POST on every deploy, run, kill and delete route, and queues nothing', async () => {
    const before = await jobCount();
    const routes = [
      '/v1/task/deploy/flows/tasks%2Fhello',
      '/v1/task/deployas/flows/tasks%2Fhello/headtest',
      '/v1/task/deployinas/flows/tasks%2Fhello/elsewhere/headtest',
      '/v1/pipeline/runas/flows/pipelines%2Fslow/nightly',
      '/v1/pipeline/runinas/flows/pipelines%2Fslow/elsewhere/nightly',
      '/v1/pipeline/kill/00000000-0000-4000-8000-000000000000',
      '/v1/delete/job/flows/hello',
      '/v1/delete/cronjob/flows/hello',
      '/v1/delete/deployment/flows/hello',
      '/v1/delete/service/flows/hello',
    ];
    for (const route of [...routes, ...routes.map((r) => `/apps/deploy-api${r}`)]) {
      for (const headers of [ME, {}]) {
        const response = await call('HEAD', route, headers);
        expect(response.status, route).toBe(405);
        expect(response.headers.get('allow'), route).toBe('GET, POST');
        expect(response.headers.get('content-type'), route).toMatch(/^application\/json/);
      }
    }
    expect(await jobCount()).toBe(before);
    expect(await listed('flows')).toEqual([]);
    expect(await listed('elsewhere')).toEqual([]);
  });

  it('leaves a deployed task in place and a running pipeline running', async () => {
    const deployed = await call('GET', '/v1/task/deployas/flows/tasks%2Fhello/headtest');
    expect(deployed.status).toBe(202);
    expect((await waitForJob(server, deployed.json.id)).status).toBe('COMPLETE');
    expect((await call('HEAD', '/v1/delete/job/flows/headtest')).status).toBe(405);
    expect(await listed('flows')).toEqual(['headtest']);

    const run = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fslow/nightly');
    expect(run.status).toBe(202);
    await eventually(async () => {
      const state = await call('GET', `/v1/pipeline/state/flows/${run.json.id}`);
      return state.json.tasks[0]?.status === 'running' ? state : undefined;
    }, 'the slow task to run');
    expect((await call('HEAD', `/v1/pipeline/kill/${run.json.id}`)).status).toBe(405);
    const state = await call('GET', `/v1/pipeline/state/flows/${run.json.id}`);
    expect(state.json.status).toBe('running');
    expect(state.json.tasks[0].status).toBe('running');
    // GET still does what the seed says.
    expect((await call('GET', `/v1/pipeline/kill/${run.json.id}`)).json.status).toBe('killed');
    expect((await call('GET', '/v1/delete/job/flows/headtest')).status).toBe(200);
  });

  it('still answers HEAD on the routes that only read', async () => {
    for (const route of ['/v1/list/tasks', '/v1/list/namespaces', '/v2/task/list/templates']) {
      const response = await call('HEAD', route);
      expect(response.status, route).toBe(200);
      expect(response.text).toBe('');
    }
  });
});
