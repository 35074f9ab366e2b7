import {
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
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
const ns = 'informed';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function informer() {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const inf = makeInformer<V1ConfigMap>(k.kc, `/api/v1/namespaces/${ns}/configmaps`, () =>
    k.core.listNamespacedConfigMap({ namespace: ns }),
  );
  const note = (verb: string) => (o: KubernetesObject) => seen.push(`${verb} ${o.metadata?.name}`);
  inf.on('add', note('add'));
  inf.on('update', note('update'));
  inf.on('delete', note('delete'));
  // client-node's informer stops on a watch error; restarting it is the documented pattern.
  inf.on('error', (err) => {
    errors.push(err);
    setTimeout(() => void inf.start(), 20);
  });
  return { inf, seen, errors };
}

const watchRequests = () =>
  server.requests.filter(
    (r) => r.path === `/api/v1/namespaces/${ns}/configmaps` && r.query.watch === 'true',
  );

describe('an informer over a dropped watch', () => {
  it('resumes from its resourceVersion and sees every later change', async () => {
    const { inf, seen, errors } = informer();
    await inf.start();
    const one = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'one' } },
    });
    await eventually(() => (seen.includes('add one') ? true : undefined), 'the first add');

    server.inject({ dropWatch: true, path: `/namespaces/${ns}/configmaps` });
    await eventually(
      () => (errors.length === 1 ? true : undefined),
      'the drop to reach the informer',
    );
    // Changes made while the watch is down arrive after it resumes.
    await k.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
    await k.core.patchNamespacedConfigMap(
      { name: 'one', namespace: ns, body: { data: { x: '1' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await k.core.deleteNamespacedConfigMap({ name: 'two', namespace: ns });
    await eventually(
      () => (seen.includes('delete two') ? true : undefined),
      'the changes after the drop',
    );
    await inf.stop();

    expect(seen.filter((s) => !s.includes('kube-root-ca'))).toEqual([
      'add one',
      'add two',
      'update one',
      'delete two',
    ]);
    const resumed = watchRequests().at(-1);
    expect(watchRequests().length).toBeGreaterThanOrEqual(2);
    // The watch resumed from the last event the informer had seen.
    expect(resumed?.query.resourceVersion).toBe(one.metadata?.resourceVersion);
    expect(resumed?.status).toBe(200);
  });

  it('survives drops of the next watches it opens', async () => {
    const before = watchRequests().length;
    server.inject({ dropWatch: true, path: `/namespaces/${ns}/configmaps`, times: 2 });
    const { inf, seen } = informer();
    await inf.start();
    await eventually(
      () => (watchRequests().length >= before + 3 ? true : undefined),
      'two dropped watches and a third one',
    );
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'three' } },
    });
    await eventually(
      () => (seen.includes('add three') ? true : undefined),
      'the add after two drops',
    );
    await inf.stop();
    expect(inf.list(ns).map((o) => o.metadata?.name)).toEqual(
      expect.arrayContaining(['one', 'three']),
    );
  });
});
