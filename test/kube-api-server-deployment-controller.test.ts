import {
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

let server: KubeApiServer;
let k: KubeClients;
const ns = 'deploys';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  server = await startKubeApiServer({ controller: { podStartMs: 5, readyAfterMs: 30 } });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function deployment(
  name: string,
  replicas: number,
  env: Record<string, string> = {},
  image = 'web:1',
): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
            },
          ],
        },
      },
    },
  };
}

const read = (name: string) => k.apps.readNamespacedDeployment({ name, namespace: ns });
const pods = async (app: string): Promise<V1Pod[]> =>
  (await k.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items.filter(
    (p) => !p.metadata?.deletionTimestamp,
  );
const condition = (d: V1Deployment, type: string) =>
  d.status?.conditions?.find((c) => c.type === type);

describe('the Deployment controller', () => {
  it('keeps spec.replicas pods that turn Ready, and reports status as Kubernetes does', async () => {
    await k.apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 3) });
    const done = await eventually(async () => {
      const d = await read('web');
      return condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' ? d : undefined;
    }, 'the rollout');
    expect(done.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(done.status?.unavailableReplicas).toBeUndefined();
    expect(condition(done, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    const rsName =
      (await k.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items[0]
        ?.metadata?.name ?? '';
    expect(condition(done, 'Progressing')).toMatchObject({
      status: 'True',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    });
    expect(done.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const list = await pods('web');
    expect(list).toHaveLength(3);
    for (const pod of list) {
      expect(pod.metadata?.name).toMatch(/^web-[0-9a-f]{10}-[a-z0-9]{5}$/);
      expect(pod.metadata?.labels).toEqual({
        app: 'web',
        'pod-template-hash': expect.stringMatching(/^[0-9a-f]{10}$/),
      });
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: rsName,
        controller: true,
      });
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
        'PodReadyToStartContainers=True',
        'Initialized=True',
        'Ready=True',
        'ContainersReady=True',
        'PodScheduled=True',
      ]);
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({
        name: 'web',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: expect.any(Date) } },
      });
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
      expect(pod.status?.startTime).toBeInstanceOf(Date);
    }
  });

  it('scales up and down, also through the scale subresource', async () => {
    await k.apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { replicas: 5 } } },
      merge,
    );
    await eventually(
      async () => ((await read('web')).status?.readyReplicas === 5 ? true : undefined),
      'five ready replicas',
    );
    const scale = await k.apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns });
    expect(scale).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 5 },
      status: { replicas: 5, selector: 'app=web' },
    });
    await k.apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: ns,
      body: { ...scale, spec: { replicas: 2 } },
    });
    await eventually(async () => ((await pods('web')).length === 2 ? true : undefined), 'two pods');
    const d = await eventually(async () => {
      const current = await read('web');
      return current.status?.replicas === 2 && current.status.readyReplicas === 2
        ? current
        : undefined;
    }, 'the status to follow');
    expect(d.spec?.replicas).toBe(2);
    expect(d.metadata?.generation).toBe(3);
  });

  it('replaces all pods when the template changes, through a new ReplicaSet', async () => {
    const before = new Set((await pods('web')).map((p) => p.metadata?.name));
    await k.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const done = await eventually(async () => {
      const d = await read('web');
      const current = await pods('web');
      const fresh = current.every(
        (p) => !before.has(p.metadata?.name) && p.spec?.containers[0]?.image === 'web:2',
      );
      return d.status?.observedGeneration === 4 &&
        current.length === 2 &&
        fresh &&
        condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
        ? d
        : undefined;
    }, 'the new pods');
    expect(done.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const replicaSets = (
      await k.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })
    ).items;
    expect(replicaSets.map((rs) => rs.spec?.replicas).sort()).toEqual([0, 2]);
  });

  it('reports a Deployment whose pods never turn Ready as unavailable, then past its progress deadline', async () => {
    const body = deployment('stuck', 1, { KUBE_FAKE_READY: 'false' });
    if (body.spec) body.spec.progressDeadlineSeconds = 1;
    await k.apps.createNamespacedDeployment({ namespace: ns, body });
    const d = await eventually(async () => {
      const current = await read('stuck');
      return current.status?.unavailableReplicas === 1 && current.status.updatedReplicas === 1
        ? current
        : undefined;
    }, 'an unavailable replica');
    expect(d.status?.readyReplicas).toBeUndefined();
    expect(condition(d, 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    const pod = await eventually(
      async () => (await pods('stuck')).find((p) => p.status?.phase === 'Running'),
      'the pod to run',
    );
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [web]',
    });
    const late = await eventually(async () => {
      const current = await read('stuck');
      return condition(current, 'Progressing')?.status === 'False' ? current : undefined;
    }, 'the progress deadline');
    expect(condition(late, 'Progressing')).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringMatching(
        /^ReplicaSet "stuck-[0-9a-f]{10}" has timed out progressing\.$/,
      ),
    });
  });

  it('shows a crashing container restarting in CrashLoopBackOff', async () => {
    await k.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('crash', 1, { KUBE_FAKE_CRASH: 'true' }),
    });
    const reasons = new Set<string>();
    const pod = await eventually(async () => {
      const [p] = await pods('crash');
      const status = p?.status?.containerStatuses?.[0];
      if (status?.state?.waiting?.reason) reasons.add(status.state.waiting.reason);
      return (status?.restartCount ?? 0) >= 3 && reasons.has('CrashLoopBackOff') ? p : undefined;
    }, 'three restarts');
    const status = pod?.status?.containerStatuses?.[0];
    expect(status?.ready).toBe(false);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(pod?.status?.phase).toBe('Running');
    const d = await read('crash');
    expect(d.status?.readyReplicas).toBeUndefined();
  });

  it('deletes its ReplicaSets and pods with it (Background propagation)', async () => {
    await k.apps.deleteNamespacedDeployment({ name: 'web', namespace: ns });
    await eventually(
      async () =>
        (await k.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items
          .length === 0
          ? true
          : undefined,
      'the pods to go',
    );
    expect(
      (await k.apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items,
    ).toEqual([]);
  });
});
