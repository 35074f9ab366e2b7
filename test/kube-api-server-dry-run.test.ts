import { PatchStrategy, setHeaderOptions, type V1Job } from '@kubernetes/client-node';
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
const ns = 'dry';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
  await k.core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'real' }, data: { v: '1' } },
  });
});
afterAll(() => server.close());

/** The newest resourceVersion: a dry run must not move it. */
async function revision(): Promise<string | undefined> {
  return (await k.core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion;
}

describe('dryRun=All', () => {
  it('validates and answers a create as if done, storing nothing', async () => {
    const before = await revision();
    const created = await k.core.createNamespacedConfigMap({
      namespace: ns,
      dryRun: 'All',
      body: { metadata: { name: 'ghost' }, data: { v: '1' } },
    });
    expect(created.metadata?.name).toBe('ghost');
    expect(created.metadata?.uid).toBeDefined();
    expect(server.objects('configmaps', ns).map((c) => c.metadata.name)).not.toContain('ghost');
    expect(await revision()).toBe(before);
    const invalid = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: ns,
        dryRun: 'All',
        body: { metadata: { name: 'NO' } },
      }),
    );
    expect(invalid.code).toBe(422);
    const job: V1Job = {
      metadata: { name: 'dry-job' },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1' }] },
        },
      },
    };
    await k.batch.createNamespacedJob({ namespace: ns, dryRun: 'All', body: job });
    expect(server.objects('pods', ns)).toEqual([]);
  });

  it('answers update, patch and apply with the result, leaving the stored object alone', async () => {
    const before = await revision();
    const current = await k.core.readNamespacedConfigMap({ name: 'real', namespace: ns });
    const replaced = await k.core.replaceNamespacedConfigMap({
      name: 'real',
      namespace: ns,
      dryRun: 'All',
      body: { ...current, data: { v: '2' } },
    });
    expect(replaced.data).toEqual({ v: '2' });
    const patched = await k.core.patchNamespacedConfigMap(
      { name: 'real', namespace: ns, dryRun: 'All', body: { data: { v: '3' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ v: '3' });
    const applied = await k.objects.patch(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'applied', namespace: ns },
        data: { v: '4' },
      },
      undefined,
      'All',
      'slipway',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(applied).toMatchObject({ metadata: { name: 'applied' }, data: { v: '4' } });
    expect(server.objects('configmaps', ns).find((c) => c.metadata.name === 'real')?.data).toEqual({
      v: '1',
    });
    expect(server.objects('configmaps', ns).map((c) => c.metadata.name)).not.toContain('applied');
    expect(await revision()).toBe(before);
  });

  it('answers a delete without deleting', async () => {
    await k.core.deleteNamespacedConfigMap({ name: 'real', namespace: ns, dryRun: 'All' });
    expect((await k.core.readNamespacedConfigMap({ name: 'real', namespace: ns })).data).toEqual({
      v: '1',
    });
  });

  it('rejects dryRun values other than All', async () => {
    const status = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: ns,
        dryRun: 'Yes',
        body: { metadata: { name: 'x' } },
      }),
    );
    expect(status.code).toBe(400);
  });
});
