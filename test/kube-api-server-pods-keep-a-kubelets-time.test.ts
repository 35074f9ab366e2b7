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
const ns = 'kubelet';

// A kubelet second lasts 10 ms: a 30 s grace period 300 ms, a 10 s back-off 100 ms.
beforeAll(async () => {
  server = await startKubeApiServer({
    controller: { podStartMs: 5, readyAfterMs: 5, jobDurationMs: 20, secondMs: 10, gcDelayMs: 100 },
  });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

const env = (vars: Record<string, string>) =>
  Object.entries(vars).map(([name, value]) => ({ name, value }));

function job(name: string, vars: Record<string, string>): V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1', env: env(vars) }] },
      },
    },
  };
}

async function createPod(name: string, container: Record<string, unknown>): Promise<void> {
  await k.core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'x:1', ...container }] } },
  });
}

const readPod = (name: string) => k.core.readNamespacedPod({ name, namespace: ns });
const jobPods = async (job: string) =>
  (await k.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` })).items;
const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('pods on the simulated node keep a kubelet’s time', () => {
  it("holds a Job's pod with the job-tracking finalizer until the Job controller has counted it", async () => {
    await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('tracked', { KUBE_FAKE_DURATION_MS: '300' }),
    });
    const running = await eventually(async () => {
      const [pod] = await jobPods('tracked');
      return pod?.status?.phase === 'Running' ? pod : undefined;
    }, 'the pod to run');
    expect(running?.metadata?.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    const counted = await eventually(async () => {
      const [pod] = await jobPods('tracked');
      return pod?.status?.phase === 'Succeeded' && !pod.metadata?.finalizers ? pod : undefined;
    }, 'the finalizer to go');
    expect(counted.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  it("lets a deleted Job's running pod go only after the garbage collector and its grace period", async () => {
    await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('replaced', { KUBE_FAKE_DURATION_MS: '600000' }),
    });
    const pod = await eventually(async () => {
      const [p] = await jobPods('replaced');
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'a running pod');
    const name = pod.metadata?.name ?? '';
    const deletedAt = Date.now();
    await k.batch.deleteNamespacedJob({
      name: 'replaced',
      namespace: ns,
      propagationPolicy: 'Background',
    });
    // The Job is gone at once; the garbage collector comes to its pod a little later.
    expect((await readPod(name)).metadata?.deletionTimestamp).toBeUndefined();
    const terminating = await eventually(async () => {
      const p = await readPod(name);
      return p.metadata?.deletionTimestamp ? p : undefined;
    }, 'the pod to be deleted');
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(terminating.status?.phase).toBe('Running');
    await eventually(
      async () => ((await failureOf(readPod(name))).code === 404 ? true : undefined),
      'the pod to go',
    );
    // 100 ms of garbage collection, then 30 s of grace at 10 ms a second.
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(350);
  });

  it('waits longer before each restart of a crashing container: 10 s, 20 s, 40 s, ...', async () => {
    await createPod('crasher', { env: env({ KUBE_FAKE_CRASH: 'true' }) });
    /** When a restart count was first reached. */
    const seen = new Map<number, number>();
    const backOffs = new Map<number, string>();
    await eventually(
      async () => {
        const status = (await readPod('crasher')).status?.containerStatuses?.[0];
        const restarts = status?.restartCount ?? 0;
        for (let n = 0; n <= restarts; n++) if (!seen.has(n)) seen.set(n, Date.now());
        const backOff = status?.state?.waiting?.message?.match(/^back-off (\d+)s/)?.[1];
        if (backOff) backOffs.set(restarts, backOff);
        return restarts >= 3 ? true : undefined;
      },
      'three restarts',
      10_000,
    );
    expect(backOffs.size).toBeGreaterThan(0);
    for (const [restarts, backOff] of backOffs)
      expect(backOff).toBe(String(10 * 2 ** (restarts - 1)));
    // Back-offs of 100 and 200 ms lie between the first restart and the third.
    expect((seen.get(3) ?? 0) - (seen.get(1) ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it('turns a probed container Ready at its first probe after initialDelaySeconds', async () => {
    const probe = { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 30 };
    await createPod('probed', { readinessProbe: probe });
    const running = await eventually(async () => {
      const p = await readPod('probed');
      return p.status?.phase === 'Running' ? Date.now() : undefined;
    }, 'the pod to run');
    expect(isReady(await readPod('probed'))).toBe(false);
    await eventually(async () => (isReady(await readPod('probed')) ? true : undefined), 'Ready');
    // 30 s of initial delay and up to a 10 s period, at 10 ms a second.
    expect(Date.now() - running).toBeGreaterThanOrEqual(250);
  });

  it('keeps a pod whose image cannot be pulled Pending in ImagePullBackOff (KUBE_FAKE_PULL=fail)', async () => {
    await createPod('unpulled', { env: env({ KUBE_FAKE_PULL: 'fail' }) });
    const pod = await eventually(async () => {
      const p = await readPod('unpulled');
      const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return reason === 'ImagePullBackOff' ? p : undefined;
    }, 'ImagePullBackOff');
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'Back-off pulling image "x:1"',
    );
    const log = await failureOf(k.core.readNamespacedPodLog({ name: 'unpulled', namespace: ns }));
    expect(log).toMatchObject({
      code: 400,
      message: 'container "c" in pod "unpulled" is waiting to start: ImagePullBackOff',
    });
  });
});
