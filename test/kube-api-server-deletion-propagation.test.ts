import type { V1Job, V1Pod } from '@kubernetes/client-node';
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
const ns = 'cascade';

beforeAll(async () => {
  server = await startKubeApiServer({ controller: { podStartMs: 300 } });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

/** A Job whose pod keeps running, once that pod exists. */
async function runningJob(name: string): Promise<V1Pod> {
  const body: V1Job = {
    metadata: { name },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'c', image: 'x:1', env: [{ name: 'KUBE_FAKE_DURATION_MS', value: '600000' }] },
          ],
        },
      },
    },
  };
  await k.batch.createNamespacedJob({ namespace: ns, body });
  return eventually(
    async () =>
      (
        await k.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${name}` })
      ).items.find((p) => p.status?.phase === 'Running'),
    `${name}'s pod`,
  );
}

function deleteRaw(path: string, query = '') {
  return fetch(`${server.url}${path}${query}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${server.token}` },
  });
}

const podNames = async (selector: string) =>
  (await k.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items.map(
    (p) => p.metadata?.name,
  );

describe('deletion and garbage collection', () => {
  it("orphans a Job's pods when no propagationPolicy is given, with the API server's warning", async () => {
    const pod = await runningJob('orphaning');
    const response = await deleteRaw(`/apis/batch/v1/namespaces/${ns}/jobs/orphaning`);
    expect(response.status).toBe(200);
    expect(response.headers.get('warning')).toContain(
      'child pods are preserved by default when jobs are deleted',
    );
    const left = await k.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: ns });
    expect(left.metadata?.ownerReferences).toBeUndefined();
    expect(left.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('deletes dependents in the background with propagationPolicy=Background', async () => {
    await runningJob('background');
    await k.batch.deleteNamespacedJob({
      name: 'background',
      namespace: ns,
      propagationPolicy: 'Background',
    });
    await expect(
      k.batch.readNamespacedJob({ name: 'background', namespace: ns }),
    ).rejects.toMatchObject({ code: 404 });
    await eventually(
      async () => ((await podNames('job-name=background')).length === 0 ? true : undefined),
      'the pods to go',
    );
  });

  it('keeps the owner with a foregroundDeletion finalizer until its dependents are gone', async () => {
    await runningJob('foreground');
    await k.batch.deleteNamespacedJob({
      name: 'foreground',
      namespace: ns,
      propagationPolicy: 'Foreground',
    });
    const held = await k.batch.readNamespacedJob({ name: 'foreground', namespace: ns });
    expect(held.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(held.metadata?.finalizers).toEqual(['foregroundDeletion']);
    await eventually(async () => {
      const status = await failureOf(
        k.batch.readNamespacedJob({ name: 'foreground', namespace: ns }),
      );
      return status.code === 404 ? true : undefined;
    }, 'the job to go');
    expect(await podNames('job-name=foreground')).toEqual([]);
  });

  it('deletes a running pod gracefully: terminating first, then gone; at once with gracePeriodSeconds=0', async () => {
    for (const name of ['graceful', 'forced']) {
      await k.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { group: 'grace' } },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        },
      });
    }
    await eventually(
      async () =>
        (
          await k.core.listNamespacedPod({
            namespace: ns,
            labelSelector: 'group=grace',
            fieldSelector: 'status.phase=Running',
          })
        ).items.length === 2
          ? true
          : undefined,
      'both running',
    );
    const response = await deleteRaw(`/api/v1/namespaces/${ns}/pods/graceful`);
    const terminating = (await response.json()) as V1Pod;
    expect(terminating.kind).toBe('Pod');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(await podNames('group=grace')).toContain('graceful');
    await deleteRaw(`/api/v1/namespaces/${ns}/pods/forced`, '?gracePeriodSeconds=0');
    expect(await podNames('group=grace')).not.toContain('forced');
    await eventually(
      async () => ((await podNames('group=grace')).length === 0 ? true : undefined),
      'the graceful pod to go',
    );
  });

  it('deletes a collection of pods by label selector', async () => {
    const groups: [string, string][] = [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y'],
    ];
    for (const [name, group] of groups) {
      await k.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { group } },
          spec: { containers: [{ name: 'c', image: 'x:1' }] },
        },
      });
    }
    await k.core.deleteCollectionNamespacedPod({
      namespace: ns,
      labelSelector: 'group=x',
      gracePeriodSeconds: 0,
    });
    expect(await podNames('group in (x,y)')).toEqual(['c']);
  });

  it('honours preconditions: a stale resourceVersion is a 409 Conflict', async () => {
    const cm = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'guarded' } },
    });
    const status = await failureOf(
      k.core.deleteNamespacedConfigMap({
        name: 'guarded',
        namespace: ns,
        body: { preconditions: { resourceVersion: '1' } },
      }),
    );
    expect(status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on configmaps "guarded": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${cm.metadata?.resourceVersion}`,
    });
    await k.core.deleteNamespacedConfigMap({
      name: 'guarded',
      namespace: ns,
      body: { preconditions: { resourceVersion: cm.metadata?.resourceVersion ?? '' } },
    });
  });
});
