import { PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
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
const ns = 'watched';
const path = `/api/v1/namespaces/${ns}/configmaps`;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Seen {
  type: string;
  name: string;
  rv: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    message?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

/** Starts a client-node Watch and collects its events until stopped or ended. */
async function watch(query: Record<string, string | number | boolean | undefined>) {
  const events: Seen[] = [];
  let finish: (err: unknown) => void = () => {};
  const done = new Promise<unknown>((resolve) => {
    finish = resolve;
  });
  const controller = await new Watch(k.kc).watch(
    path,
    query,
    (type, object: Seen['object']) =>
      events.push({
        type,
        name: object.metadata?.name ?? '',
        rv: object.metadata?.resourceVersion ?? '',
        object,
      }),
    (err) => finish(err),
  );
  return { events, done, stop: () => controller.abort() };
}

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after the resourceVersion of a list', async () => {
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'before' } },
    });
    const list = await k.core.listNamespacedConfigMap({ namespace: ns });
    const w = await watch({ resourceVersion: list.metadata?.resourceVersion });
    const created = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'live' } },
    });
    const patched = await k.core.patchNamespacedConfigMap(
      { name: 'live', namespace: ns, body: { data: { a: '1' } } },
      merge,
    );
    await k.core.deleteNamespacedConfigMap({ name: 'live', namespace: ns });
    await eventually(() => (w.events.length >= 3 ? true : undefined), 'three events');
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual([
      'ADDED live',
      'MODIFIED live',
      'DELETED live',
    ]);
    expect(w.events[0]?.rv).toBe(created.metadata?.resourceVersion);
    expect(w.events[1]?.rv).toBe(patched.metadata?.resourceVersion);
    expect(Number(w.events[2]?.rv)).toBeGreaterThan(Number(patched.metadata?.resourceVersion));
    expect(w.events[0]?.object.kind).toBe('ConfigMap');
  });

  it('starts with ADDED events for what exists when no resourceVersion is given', async () => {
    const w = await watch({});
    await eventually(
      () => (w.events.some((e) => e.name === 'before') ? true : undefined),
      'the existing object',
    );
    w.stop();
    expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.name)).toEqual(
      expect.arrayContaining(['before', 'kube-root-ca.crt']),
    );
  });

  it('resumes from a resourceVersion, replaying only later changes', async () => {
    const first = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'r1' } },
    });
    await k.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'r2' } } });
    await k.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'r3' } } });
    const w = await watch({ resourceVersion: first.metadata?.resourceVersion });
    await eventually(() => (w.events.length >= 2 ? true : undefined), 'the replay');
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED r2', 'ADDED r3']);
  });

  it('filters by label selector; objects leaving or entering it arrive as DELETED or ADDED', async () => {
    const list = await k.core.listNamespacedConfigMap({ namespace: ns });
    const w = await watch({
      resourceVersion: list.metadata?.resourceVersion,
      labelSelector: 'team=a',
    });
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'other', labels: { team: 'b' } } },
    });
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'mine', labels: { team: 'a' } } },
    });
    await k.core.patchNamespacedConfigMap(
      { name: 'mine', namespace: ns, body: { metadata: { labels: { team: 'b' } } } },
      merge,
    );
    await k.core.patchNamespacedConfigMap(
      { name: 'other', namespace: ns, body: { metadata: { labels: { team: 'a' } } } },
      merge,
    );
    await eventually(() => (w.events.length >= 3 ? true : undefined), 'three events');
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual([
      'ADDED mine',
      'DELETED mine',
      'ADDED other',
    ]);
  });

  it('answers an expired resourceVersion with an ERROR event carrying a 410 Expired Status', async () => {
    const old = await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'churn' } },
    });
    // More changes than the server keeps in its event history (1000).
    for (let i = 0; i < 1005; i++)
      await k.core.patchNamespacedConfigMap(
        { name: 'churn', namespace: ns, body: { data: { i: String(i) } } },
        merge,
      );
    const w = await watch({ resourceVersion: old.metadata?.resourceVersion });
    expect(await w.done).toBeNull();
    expect(w.events).toHaveLength(1);
    expect(w.events[0]?.type).toBe('ERROR');
    expect(w.events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(w.events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  }, 60_000);

  it('ends the stream after timeoutSeconds, with a final bookmark when bookmarks are allowed', async () => {
    const started = Date.now();
    const w = await watch({
      timeoutSeconds: 1,
      allowWatchBookmarks: true,
      resourceVersion: (await k.core.listNamespacedConfigMap({ namespace: ns })).metadata
        ?.resourceVersion,
    });
    expect(await w.done).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const bookmark = w.events.at(-1);
    expect(bookmark?.type).toBe('BOOKMARK');
    expect(bookmark?.object.kind).toBe('ConfigMap');
    expect(Number(bookmark?.rv)).toBeGreaterThan(0);
  });

  it('marks the end of initial events with a bookmark when sendInitialEvents is asked for', async () => {
    const w = await watch({
      sendInitialEvents: true,
      allowWatchBookmarks: true,
      resourceVersionMatch: 'NotOlderThan',
    });
    await eventually(
      () => (w.events.some((e) => e.type === 'BOOKMARK') ? true : undefined),
      'the initial-events bookmark',
    );
    w.stop();
    const marker = w.events.find((e) => e.type === 'BOOKMARK');
    expect(marker?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(
      w.events.slice(0, w.events.indexOf(marker as Seen)).every((e) => e.type === 'ADDED'),
    ).toBe(true);
  });
});
