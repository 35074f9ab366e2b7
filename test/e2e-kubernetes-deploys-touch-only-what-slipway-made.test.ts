import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { type KubeClients, kubeClients } from './fakes/kube/kube-clients.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { deployAndWait, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const IMAGE = 'registry.example.com/own';

/** What someone makes with kubectl: no Slipway labels. */
async function handMade(k: KubeClients, namespace: string) {
  await k.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'api', labels: { app: 'api' } },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'api', image: `${IMAGE}/theirs:1` }] },
        },
      },
    },
  });
  await k.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'api2', labels: { app: 'api2' } },
      spec: { selector: { app: 'api2' }, ports: [{ name: 'web', port: 80, targetPort: 8080 }] },
    },
  });
}

describe('a deploy touches only what Slipway made', () => {
  let kube: KubeApiServer;
  let k: KubeClients;
  let server: ServerProcess;
  const repos: TestRepo[] = [];

  beforeAll(async () => {
    kube = await startKubeApiServer();
    k = kubeClients(kube);
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    for (const repo of repos) repo.cleanup();
  });

  async function workspace(name: string, namespace: string, files: Record<string, string>) {
    const repo = createRepo(files);
    repos.push(repo);
    const ws = await server.api('POST', '/api/workspaces', {
      name,
      repositoryUrl: repo.dir,
      namespace,
    });
    expect(ws.status, ws.text).toBe(201);
    return { id: ws.json.id as string, repo };
  }

  it('refuses to apply over objects someone else made with the same names, before applying anything', async () => {
    await k.core.createNamespace({ body: { metadata: { name: 'theirs' } } });
    await handMade(k, 'theirs');
    const { id } = await workspace('takeover', 'theirs', {
      'tasks/api/manifest.json': manifest({
        name: 'api',
        type: 'deployment',
        'image-destination': `${IMAGE}/api:1`,
      }),
      'tasks/api2/manifest.json': manifest({
        name: 'api2',
        type: 'service',
        'image-destination': `${IMAGE}/api2:1`,
      }),
      'tasks/fine/manifest.json': manifest({
        name: 'fine',
        type: 'deployment',
        'image-destination': `${IMAGE}/fine:1`,
      }),
    });
    const message =
      "Deployment theirs/api, Service theirs/api2 are in the cluster, but not Slipway's (no app.kubernetes.io/managed-by=slipway label): Slipway takes over nothing it did not make. Delete or rename them, or give the tasks another name; nothing was applied";
    const plan = await server.api('POST', `/api/workspaces/${id}/deployments?plan=true`);
    const planned = await waitForJob(server, plan.json.id);
    expect(planned.status).toBe('ERROR');
    expect(planned.message).toContain(message);
    const { done, log } = await deployAndWait(server, id);
    expect(done.status, log).toBe('ERROR');
    expect(done.message).toContain(message);
    // Nothing of the workspace was applied, and theirs are as they were.
    const deployments = await k.apps.listNamespacedDeployment({ namespace: 'theirs' });
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(['api']);
    expect(deployments.items[0]?.spec?.template.spec?.containers[0]?.image).toBe(
      `${IMAGE}/theirs:1`,
    );
    const service = await k.core.readNamespacedService({ name: 'api2', namespace: 'theirs' });
    expect(service.metadata?.labels).toEqual({ app: 'api2' });
    expect(service.spec?.selector).toEqual({ app: 'api2' });
  });

  it("leaves another workspace's Service, and a hand-made one, when a task of that name changes", async () => {
    const shop = await workspace('shop', 'shared', {
      'tasks/web/manifest.json': manifest({
        name: 'web',
        type: 'service',
        'image-destination': `${IMAGE}/web:1`,
      }),
      'tasks/worker/manifest.json': manifest({
        name: 'worker',
        type: 'deployment',
        'image-destination': `${IMAGE}/worker:1`,
      }),
    });
    expect((await deployAndWait(server, shop.id)).done.status).toBe('COMPLETE');
    // A job of another workspace named as the first one's service, in the same namespace.
    const batch = await workspace('batch', 'shared', {
      'tasks/web/manifest.json': manifest({
        name: 'web',
        type: 'job',
        'image-destination': `${IMAGE}/web-job:1`,
      }),
    });
    expect((await deployAndWait(server, batch.id)).done.status).toBe('COMPLETE');
    // Someone's own Service for the worker, made by hand.
    await k.core.createNamespacedService({
      namespace: 'shared',
      body: {
        metadata: { name: 'worker' },
        spec: { selector: { app: 'worker' }, ports: [{ port: 80 }] },
      },
    });

    // Both change: the job is made anew, the worker rolls out; neither takes a Service along.
    batch.repo.commit({
      'tasks/web/manifest.json': manifest({
        name: 'web',
        type: 'job',
        'image-destination': `${IMAGE}/web-job:2`,
      }),
    });
    expect((await deployAndWait(server, batch.id)).done.status).toBe('COMPLETE');
    shop.repo.commit({
      'tasks/worker/manifest.json': manifest({
        name: 'worker',
        type: 'deployment',
        'image-destination': `${IMAGE}/worker:2`,
      }),
    });
    expect((await deployAndWait(server, shop.id)).done.status).toBe('COMPLETE');
    const services = await k.core.listNamespacedService({ namespace: 'shared' });
    expect(services.items.map((s) => s.metadata?.name).sort()).toEqual(['web', 'worker']);

    // The workspace's own Service still goes with its task, when the task goes.
    shop.repo.commit({ 'tasks/web/manifest.json': null });
    expect((await deployAndWait(server, shop.id)).done.status).toBe('COMPLETE');
    const left = await k.core.listNamespacedService({ namespace: 'shared' });
    expect(left.items.map((s) => s.metadata?.name)).toEqual(['worker']);
  });
});
