import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, repoIn, service } from './fixtures/datatask.js';
import {
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

describe('a service task is a Deployment plus a Service: DataTask lists and deletes it as a deployment too', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-service-'));
    repoIn(reposDir, 'shop', {
      'tasks/web/manifest.json': service('web'),
      'tasks/worker/manifest.json': deployment('worker'),
    });
    server = await startServer({ reposDir });
    for (const route of [
      '/v1/task/deploy/shop/tasks%2Fweb',
      '/v1/task/deploy/shop/tasks%2Fworker',
    ]) {
      const deployed = await call('GET', route);
      expect((await waitForJob(server, deployed.json.id)).status).toBe('COMPLETE');
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  function call(method: string, route: string) {
    return request(`${server.url}${route}`, method, undefined, ME);
  }
  const names = (list: Json[]) => list.map((t) => t.name).sort();

  it('lists a service under deployments as well as under services', async () => {
    for (const route of ['/v1/list/tasks/shop', '/v1/list/tasks']) {
      const tasks = (await call('GET', route)).json;
      expect(names(tasks.deployments), route).toEqual(['web', 'worker']);
      expect(names(tasks.services), route).toEqual(['web']);
      const web = tasks.deployments.find((t: Json) => t.name === 'web');
      expect(web).toMatchObject({ namespace: 'shop', replicas: 1 });
    }
  });

  it('deletes the whole service through the delete deployment route, and says it was a service', async () => {
    const deleted = await call('GET', '/v1/delete/deployment/shop/web');
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.json).toEqual({ deleted: { kind: 'service', namespace: 'shop', name: 'web' } });
    const tasks = (await call('GET', '/v1/list/tasks/shop')).json;
    expect(names(tasks.deployments)).toEqual(['worker']);
    expect(tasks.services).toEqual([]);
    const pods = (await call('GET', '/v1/list/pods/shop')).json.pods;
    expect(pods.filter((p: Json) => p.workload.name === 'web')).toEqual([]);
    expect((await call('GET', '/v1/delete/service/shop/web')).status).toBe(404);
    expect((await call('GET', '/v1/delete/deployment/shop/web')).status).toBe(404);
    // A plain deployment is deleted as one.
    expect((await call('POST', '/v1/delete/deployment/shop/worker')).json).toEqual({
      deleted: { kind: 'deployment', namespace: 'shop', name: 'worker' },
    });
  });
});
