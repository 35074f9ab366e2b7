import { PatchStrategy, setHeaderOptions, type V1CronJob } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failureOf,
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';

let server: KubeApiServer;
let k: KubeClients;
const ns = 'versions';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

const rv = (o: { metadata?: { resourceVersion?: string } }) => Number(o.metadata?.resourceVersion);

describe('resourceVersion and generation', () => {
  it('uses one increasing resourceVersion counter across all resources, as strings', async () => {
    const a = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'a' } },
    });
    const b = await k.core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'b' }, spec: { ports: [{ port: 80 }] } },
    });
    const c = await k.core.patchNamespacedConfigMap(
      { name: 'a', namespace: ns, body: { data: { x: '1' } } },
      merge,
    );
    expect(typeof a.metadata?.resourceVersion).toBe('string');
    expect(rv(b)).toBeGreaterThan(rv(a));
    expect(rv(c)).toBeGreaterThan(rv(b));
    const list = await k.core.listNamespacedConfigMap({ namespace: ns });
    expect(rv(list)).toBeGreaterThanOrEqual(rv(c));
  });

  // CronJobs have no controller here, so only these tests write them.
  it('sets generation 1 on create and bumps it only when the spec changes', async () => {
    const body: V1CronJob = {
      metadata: { name: 'gen' },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1' }] },
            },
          },
        },
      },
    };
    const created = await k.batch.createNamespacedCronJob({ namespace: ns, body });
    expect(created.metadata?.generation).toBe(1);
    const labelled = await k.batch.patchNamespacedCronJob(
      { name: 'gen', namespace: ns, body: { metadata: { labels: { x: 'y' } } } },
      merge,
    );
    expect(labelled.metadata?.generation).toBe(1);
    expect(rv(labelled)).toBeGreaterThan(rv(created));
    const status = await k.batch.patchNamespacedCronJobStatus(
      {
        name: 'gen',
        namespace: ns,
        body: { status: { lastScheduleTime: '2024-01-01T00:00:00Z' } },
      },
      merge,
    );
    expect(status.metadata?.generation).toBe(1);
    expect(status.status?.lastScheduleTime).toEqual(new Date('2024-01-01T00:00:00Z'));
    const changed = await k.batch.patchNamespacedCronJob(
      { name: 'gen', namespace: ns, body: { spec: { schedule: '0 * * * *' } } },
      merge,
    );
    expect(changed.metadata?.generation).toBe(2);
  });

  it('keeps spec out of status writes and status out of spec writes', async () => {
    const current = await k.batch.readNamespacedCronJob({ name: 'gen', namespace: ns });
    const viaStatus = await k.batch.replaceNamespacedCronJobStatus({
      name: 'gen',
      namespace: ns,
      body: {
        ...current,
        spec: { ...current.spec, schedule: '1 1 1 1 1' } as V1CronJob['spec'],
        status: { lastSuccessfulTime: new Date('2024-02-02T00:00:00Z') },
      },
    });
    expect(viaStatus.spec?.schedule).toBe('0 * * * *');
    expect(viaStatus.status?.lastSuccessfulTime).toEqual(new Date('2024-02-02T00:00:00Z'));
    expect(viaStatus.metadata?.generation).toBe(2);
    const viaMain = await k.batch.replaceNamespacedCronJob({
      name: 'gen',
      namespace: ns,
      body: { ...viaStatus, status: {} },
    });
    expect(viaMain.status?.lastSuccessfulTime).toEqual(new Date('2024-02-02T00:00:00Z'));
  });

  it('stores nothing for an update that changes nothing', async () => {
    const current = await k.core.readNamespacedConfigMap({ name: 'a', namespace: ns });
    const same = await k.core.replaceNamespacedConfigMap({
      name: 'a',
      namespace: ns,
      body: current,
    });
    expect(same.metadata?.resourceVersion).toBe(current.metadata?.resourceVersion);
  });

  it('refuses an update naming another uid (another object of the name) with 409', async () => {
    const current = await k.core.readNamespacedConfigMap({ name: 'a', namespace: ns });
    const status = await failureOf(
      k.core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: ns,
        body: { ...current, metadata: { ...current.metadata, uid: 'other-uid' } },
      }),
    );
    expect(status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on configmaps "a": Precondition failed: UID in precondition: other-uid, UID in object meta: ${current.metadata?.uid}`,
    });
    const after = await k.core.readNamespacedConfigMap({ name: 'a', namespace: ns });
    expect(after.metadata?.resourceVersion).toBe(current.metadata?.resourceVersion);
  });
});
