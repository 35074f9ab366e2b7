import type { V1Namespace } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failureOf,
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

let server: KubeApiServer;
let k: KubeClients;

beforeAll(async () => {
  // Pods take half a second to shut down, so a terminating namespace stays observable.
  server = await startKubeApiServer({ controller: { podStartMs: 500 } });
  k = kubeClients(server);
});
afterAll(() => server.close());

describe('namespace lifecycle', () => {
  it('refuses objects in a namespace that does not exist (404 for the namespace)', async () => {
    const status = await failureOf(
      k.core.createNamespacedConfigMap({ namespace: 'missing', body: { metadata: { name: 'x' } } }),
    );
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'namespaces "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', kind: 'namespaces' },
      code: 404,
    });
  });

  it('refuses to delete the namespaces the system runs in (403), as admission does', async () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const status = await failureOf(k.core.deleteNamespace({ name }));
      expect(status).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      });
      expect((await k.core.readNamespace({ name })).metadata?.deletionTimestamp).toBeUndefined();
    }
  });

  it('gives a new namespace its labels, phase, default service account and root CA config map', async () => {
    const created = await k.core.createNamespace({ body: { metadata: { name: 'fresh' } } });
    expect(created.status?.phase).toBe('Active');
    expect(created.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'fresh' });
    expect(created.spec?.finalizers).toEqual(['kubernetes']);
    await eventually(
      () =>
        server.objects('serviceaccounts', 'fresh').some((s) => s.metadata.name === 'default')
          ? true
          : undefined,
      'the default service account',
    );
    expect(server.objects('configmaps', 'fresh').map((c) => c.metadata.name)).toEqual([
      'kube-root-ca.crt',
    ]);
    const bad = await failureOf(
      k.core.createNamespace({ body: { metadata: { name: 'has.dot' } } }),
    );
    expect(bad.message).toContain('a lowercase RFC 1123 label must consist of');
  });

  it('terminates a namespace: Terminating, no new content, everything in it deleted, then gone', async () => {
    await k.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await k.core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'cm' } },
    });
    await k.core.createNamespacedPod({
      namespace: 'doomed',
      body: {
        metadata: { name: 'pod' },
        spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
      },
    });
    await k.apps.createNamespacedDeployment({
      namespace: 'doomed',
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' } },
            spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
          },
        },
      },
    });
    await eventually(
      () => (server.objects('pods', 'doomed').length === 2 ? true : undefined),
      'the deployment pod',
    );

    // The answer is the Namespace itself (client-node reads every DELETE answer as a V1Status).
    const response = await fetch(`${server.url}/api/v1/namespaces/doomed`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.token}` },
    });
    const deleting = (await response.json()) as V1Namespace;
    expect(deleting).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    const refused = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: 'doomed',
        body: { metadata: { name: 'late' } },
      }),
    );
    expect(refused).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    });
    // A second delete while it empties is a conflict, as the namespace registry answers it.
    const again = await fetch(`${server.url}/api/v1/namespaces/doomed`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      details: { name: 'doomed', kind: 'namespaces' },
      message:
        'Operation cannot be fulfilled on namespaces "doomed": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    });

    await eventually(async () => {
      const names = (await k.core.listNamespace()).items.map((n) => n.metadata?.name);
      return names.includes('doomed') ? undefined : true;
    }, 'the namespace to go');
    for (const plural of ['pods', 'configmaps', 'deployments', 'replicasets', 'serviceaccounts'])
      expect(server.objects(plural, 'doomed')).toEqual([]);
    const gone = await failureOf(k.core.readNamespace({ name: 'doomed' }));
    expect(gone.code).toBe(404);
  });
});
