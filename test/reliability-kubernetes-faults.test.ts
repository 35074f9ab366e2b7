import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const NS = 'flaky';

function tasks(version: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) {
    files[`tasks/d${i}/manifest.json`] = manifest({
      name: `d${i}`,
      type: 'deployment',
      'image-destination': `registry.example.com/flaky/d${i}:${version}`,
      replicas: i % 3 === 0 ? 1 : 0,
    });
  }
  files['tasks/migrate/manifest.json'] = manifest({
    name: 'migrate',
    type: 'job',
    'image-destination': `registry.example.com/flaky/migrate:${version}`,
  });
  return files;
}

describe('faults: the Kubernetes API answers 5xx, 429, slowly, and drops watches at a set rate', () => {
  let kube: KubeApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let workspace: string;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo(tasks(1));
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
    workspace = (
      await server.api('POST', '/api/workspaces', {
        name: 'flaky',
        repositoryUrl: repo.dir,
        namespace: NS,
      })
    ).json.id;
  });
  // Each test's faults end with it: a rate fault left behind would answer in the next test's
  // place (a 503 where that test's lasting 500 was expected).
  afterEach(() => kube?.clearFaults());
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it('still deploys right through transient faults', async () => {
    kube.inject({ method: 'PATCH', status: 503, every: 4, times: Number.POSITIVE_INFINITY });
    kube.inject({
      method: 'GET',
      path: '/apis/apps/v1/namespaces/flaky/deployments',
      status: 429,
      every: 5,
      times: Number.POSITIVE_INFINITY,
    });
    kube.inject({ delayMs: 40, every: 3, times: Number.POSITIVE_INFINITY });
    const dropper = setInterval(() => kube.inject({ dropWatch: true, times: 3 }), 300);
    try {
      const job = (await server.api('POST', `/api/workspaces/${workspace}/deployments`)).json;
      const done = await waitForJob(server, job.id, ['COMPLETE', 'ERROR', 'STOPPED'], 120_000);
      expect(done.status, `${done.message}\n${await jobLog(server, job.id)}`).toBe('COMPLETE');
    } finally {
      clearInterval(dropper);
    }
    const images = kube
      .objects('deployments', NS)
      .map((d) => d.spec.template.spec.containers[0].image as string)
      .sort();
    expect(images).toHaveLength(30);
    expect(images.every((image) => image.endsWith(':1'))).toBe(true);
    expect(kube.objects('jobs', NS).map((j) => j.metadata.name)).toEqual(['migrate']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^slipway_runtime_api_errors_total\{operation="apply Deployment"\} [1-9]/m,
    );
  }, 150_000);

  it('ends in ERROR with a clear message after maxAttempts when a fault never clears', async () => {
    repo.commit(tasks(2));
    kube.inject({
      method: 'PATCH',
      path: '/deployments/d7',
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const job = (await server.api('POST', `/api/workspaces/${workspace}/deployments`)).json;
    const done = await waitForJob(server, job.id, ['COMPLETE', 'ERROR', 'STOPPED'], 120_000);
    expect(done.status).toBe('ERROR');
    expect(done.attempt + 1).toBe(done.maxAttempts);
    expect(done.message).toMatch(/Deployment flaky\/d7/);
    expect(done.message).toMatch(/500/);
    const log = await jobLog(server, job.id);
    expect(log).toMatch(/attempt 1 of 3 failed: .*d7/);
    expect(log).toMatch(/retrying in/);
  }, 150_000);
});
