import { afterAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/** The value of a sample line `name{labels} value` of a Prometheus text page, 0 when absent. */
function sample(page: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of page.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([^{\s]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}

describe('metrics and readiness', () => {
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('moves job, queue and HTTP metrics as a deploy runs, labelled by route pattern', async () => {
    const repo: TestRepo = createRepo(helloJob());
    const server: ServerProcess = await startServer();
    cleanups.push(
      () => repo.cleanup(),
      () => server.stop(),
    );
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    const before = await metrics();
    expect(sample(before, 'slipway_queue_depth')).toBe(0);
    expect(sample(before, 'slipway_jobs', { type: 'WORKSPACE_DEPLOY', status: 'COMPLETE' })).toBe(
      0,
    );

    const ws = await server.api('POST', '/api/workspaces', { name: 'm', repositoryUrl: repo.dir });
    const deploy = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await waitForJob(server, deploy.json.id);
    const after = await metrics();
    expect(sample(after, 'slipway_jobs', { type: 'WORKSPACE_DEPLOY', status: 'COMPLETE' })).toBe(1);
    expect(
      sample(after, 'slipway_job_duration_seconds_count', {
        type: 'WORKSPACE_DEPLOY',
        status: 'COMPLETE',
      }),
    ).toBe(1);
    expect(sample(after, 'slipway_queue_oldest_age_seconds')).toBe(0);
    const route = { method: 'POST', route: '/api/workspaces/:id/deployments', status: '202' };
    expect(sample(after, 'slipway_http_request_duration_seconds_count', route)).toBe(1);
    expect(after).not.toContain(ws.json.id);
    expect(sample(after, 'slipway_process_resident_memory_bytes')).toBeGreaterThan(0);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', runtime: 'ok' },
    });
  });

  it('counts runtime API errors, and is not ready while the Kubernetes API is unreachable', async () => {
    const kube: KubeApiServer = await startKubeApiServer();
    const repo = createRepo({
      'tasks/web/manifest.json': manifest({
        name: 'web',
        type: 'job',
        'image-destination': 'r/web:1',
      }),
    });
    const server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
    cleanups.push(
      () => repo.cleanup(),
      () => server.stop(),
    );
    kube.inject({ method: 'PATCH', path: /\/jobs\/web$/, status: 503, times: 2 });
    const ws = await server.api('POST', '/api/workspaces', { name: 'k', repositoryUrl: repo.dir });
    const deploy = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    expect((await waitForJob(server, deploy.json.id)).status).toBe('COMPLETE');
    const page = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(page, 'slipway_runtime_api_errors_total', { operation: 'apply Job' })).toBe(2);

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await kube.close();
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: Record<string, string> };
    // What the request logged carries its request id.
    const said = await eventually(
      async () => server.logs().find((l) => l.msg === 'not ready'),
      'the not-ready log line',
    );
    expect(said?.requestId).toBe(down.headers.get('x-request-id'));
    expect(body.checks.database).toBe('ok');
    expect(body.checks.runtime).toMatch(/^failing \(kubernetes\): /);
  });
});
