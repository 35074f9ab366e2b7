import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchedCollection } from '../core/runtime/kubernetes/watched-collection.js';
import { silentLogger } from '../core/types.js';
import {
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

const NS = 'watched';

describe("the Kubernetes runtime's watched collections", () => {
  let server: KubeApiServer;
  let k: KubeClients;
  beforeAll(async () => {
    server = await startKubeApiServer();
    k = kubeClients(server);
    await k.core.createNamespace({ body: { metadata: { name: NS } } });
  });
  afterAll(() => server.close());

  const collection = () =>
    new WatchedCollection<V1ConfigMap>(
      k.kc,
      `/api/v1/namespaces/${NS}/configmaps`,
      () => k.core.listNamespacedConfigMap({ namespace: NS }),
      '',
      silentLogger,
    );

  it('resume after dropped watches from their resourceVersion and see every later change', async () => {
    const watched = collection();
    await watched.ensureStarted();
    await k.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'before' } },
    });
    await eventually(() => (watched.get('before', NS) ? true : undefined), 'the first object');
    const lists = () =>
      server.requests.filter(
        (r) => r.method === 'GET' && r.path.endsWith('/configmaps') && r.query.watch !== 'true',
      ).length;
    const listsBefore = lists();
    server.inject({ path: `/api/v1/namespaces/${NS}/configmaps`, dropWatch: true, times: 2 });
    await k.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'during' } },
    });
    await k.core.deleteNamespacedConfigMap({ namespace: NS, name: 'before' });
    await k.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'after' } },
    });
    await eventually(
      () =>
        watched.get('after', NS) && watched.get('during', NS) && !watched.get('before', NS)
          ? true
          : undefined,
      'the changes after the drops',
      10_000,
    );
    // Resumed by watching from the last resourceVersion, not by listing everything again.
    const resumed = server.requests.filter(
      (r) => r.query.watch === 'true' && r.path.endsWith('/configmaps') && r.query.resourceVersion,
    );
    expect(resumed.length).toBeGreaterThanOrEqual(2);
    expect(lists()).toBe(listsBefore);
    watched.stop();
  });

  it('refuse to start, saying why, when the collection cannot be listed', async () => {
    server.inject({
      method: 'GET',
      path: `/api/v1/namespaces/${NS}/configmaps`,
      status: 403,
      times: 1,
    });
    await expect(collection().ensureStarted()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
