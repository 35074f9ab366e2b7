import type { V1Job, V1Pod } from '@kubernetes/client-node';
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
const ns = 'jobs';

beforeAll(async () => {
  server = await startKubeApiServer({ controller: { podStartMs: 5, jobDurationMs: 20 } });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function job(name: string, env: Record<string, string>, backoffLimit?: number): V1Job {
  return {
    metadata: { name, labels: { task: name } },
    spec: {
      ...(backoffLimit === undefined ? {} : { backoffLimit }),
      template: {
        metadata: { labels: { task: name } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'main',
              image: 'runner:1',
              env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
            },
          ],
        },
      },
    },
  };
}

async function finished(name: string): Promise<V1Job> {
  return eventually(async () => {
    const j = await k.batch.readNamespacedJob({ name, namespace: ns });
    return j.status?.conditions?.some(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    )
      ? j
      : undefined;
  }, `job ${name} to finish`);
}

async function podsOf(name: string): Promise<V1Pod[]> {
  return (await k.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${name}` }))
    .items;
}

describe('the Job controller', () => {
  it('runs a pod to success, with its logs, labels, owner and Kubernetes-shaped status', async () => {
    const created = await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('hello', { KUBE_FAKE_LOGS: 'hello\nworld' }),
    });
    const done = await finished('hello');
    expect(done.status).toMatchObject({
      succeeded: 1,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    });
    expect(done.status?.active).toBeUndefined();
    expect(done.status?.failed).toBeUndefined();
    expect(done.status?.startTime).toBeInstanceOf(Date);
    expect(done.status?.completionTime).toBeInstanceOf(Date);
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    expect(done.status?.conditions?.[1]).toMatchObject({
      message: 'Reached expected number of succeeded pods',
      lastProbeTime: expect.any(Date),
      lastTransitionTime: expect.any(Date),
    });

    const [pod, ...others] = await podsOf('hello');
    expect(others).toEqual([]);
    expect(pod?.metadata?.name).toMatch(/^hello-[a-z0-9]{5}$/);
    expect(pod?.metadata?.labels).toMatchObject({
      task: 'hello',
      'job-name': 'hello',
      'batch.kubernetes.io/job-name': 'hello',
      'controller-uid': created.metadata?.uid,
      'batch.kubernetes.io/controller-uid': created.metadata?.uid,
    });
    expect(pod?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'hello',
        uid: created.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(pod?.spec?.nodeName).toBe('kube-fake-node');

    const log = await k.core.readNamespacedPodLog({
      name: pod?.metadata?.name ?? '',
      namespace: ns,
    });
    expect(log).toBe('hello\nworld\n');
  });

  it('reports the Job active and its pod Running while it runs (KUBE_FAKE_DURATION_MS)', async () => {
    await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('slow', { KUBE_FAKE_DURATION_MS: '1000' }),
    });
    const running = await eventually(async () => {
      const j = await k.batch.readNamespacedJob({ name: 'slow', namespace: ns });
      return j.status?.active === 1 && j.status.ready === 1 ? j : undefined;
    }, 'the job to run');
    expect(running.status?.conditions).toBeUndefined();
    expect((await podsOf('slow'))[0]?.status?.phase).toBe('Running');
    expect((await finished('slow')).status?.succeeded).toBe(1);
  });

  it('fails the Job on a non-zero exit code when backoffLimit is 0', async () => {
    await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('broken', { KUBE_FAKE_EXIT_CODE: '3', KUBE_FAKE_LOGS: 'boom' }, 0),
    });
    const done = await finished('broken');
    expect(done.status).toMatchObject({ failed: 1 });
    expect(done.status?.succeeded).toBeUndefined();
    expect(done.status?.completionTime).toBeUndefined();
    const failed = done.status?.conditions?.find((c) => c.type === 'Failed');
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const pods = await podsOf('broken');
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.phase).toBe('Failed');
    expect(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
  });

  it('retries with new pods up to backoffLimit more times', async () => {
    await k.batch.createNamespacedJob({
      namespace: ns,
      body: job('flaky', { KUBE_FAKE_EXIT_CODE: '1' }, 2),
    });
    const done = await finished('flaky');
    expect(done.status?.failed).toBe(3);
    expect(done.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe(
      'BackoffLimitExceeded',
    );
    const pods = await podsOf('flaky');
    expect(pods).toHaveLength(3);
    expect(new Set(pods.map((p) => p.metadata?.name)).size).toBe(3);
    expect(pods.every((p) => p.status?.phase === 'Failed')).toBe(true);
  });

  it('fails a Job that runs past activeDeadlineSeconds', async () => {
    const body = job('late', { KUBE_FAKE_DURATION_MS: '60000' });
    if (body.spec) body.spec.activeDeadlineSeconds = 1;
    await k.batch.createNamespacedJob({ namespace: ns, body });
    const done = await finished('late');
    expect(done.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
  });
});
