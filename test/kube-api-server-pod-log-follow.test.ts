import { PassThrough } from 'node:stream';
import { Log, type V1Pod } from '@kubernetes/client-node';
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
const ns = 'logs';

beforeAll(async () => {
  server = await startKubeApiServer({ controller: { podStartMs: 5, readyAfterMs: 20 } });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function pod(
  name: string,
  env: Record<string, string>,
  restartPolicy = 'Never',
  containers = ['main'],
): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy,
      containers: containers.map((c) => ({
        name: c,
        image: 'app:1',
        env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
      })),
    },
  };
}

async function phase(name: string, wanted: string): Promise<void> {
  await eventually(
    async () =>
      (await k.core.readNamespacedPod({ name, namespace: ns })).status?.phase === wanted
        ? true
        : undefined,
    `${name} to be ${wanted}`,
  );
}

/** Follows a pod's log with client-node's Log; resolves with the text once the stream ends. */
async function follow(name: string, options: { timestamps?: boolean } = {}) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  const request = await new Log(k.kc).log(ns, name, 'main', stream, { follow: true, ...options });
  return { ended: ended.then(() => text), text: () => text, abort: () => request.abort() };
}

describe('pod logs', () => {
  it('follows a running container until it terminates', async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pod('runner', {
        KUBE_FAKE_LOGS: 'starting\nworking\ndone',
        KUBE_FAKE_DURATION_MS: '1000',
      }),
    });
    await phase('runner', 'Running');
    const started = Date.now();
    const followed = await follow('runner');
    expect(await followed.ended).toBe('starting\nworking\ndone\n');
    expect(Date.now() - started).toBeGreaterThan(100);
    expect((await k.core.readNamespacedPod({ name: 'runner', namespace: ns })).status?.phase).toBe(
      'Succeeded',
    );
  });

  it('prefixes RFC 3339 timestamps, and keeps only the last tailLines', async () => {
    const stamped = await k.core.readNamespacedPodLog({
      name: 'runner',
      namespace: ns,
      timestamps: true,
    });
    const lines = stamped.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (starting|working|done)$/);
    expect(await k.core.readNamespacedPodLog({ name: 'runner', namespace: ns, tailLines: 1 })).toBe(
      'done\n',
    );
  });

  it("keeps a Deployment-style pod's follow stream open until the pod is deleted", async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pod('server', { KUBE_FAKE_LOGS: 'listening' }, 'Always'),
    });
    await phase('server', 'Running');
    const followed = await follow('server');
    await eventually(
      () => (followed.text() === 'listening\n' ? true : undefined),
      'the first line',
    );
    let ended = false;
    void followed.ended.then(() => {
      ended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ended).toBe(false);
    await k.core.deleteNamespacedPod({ name: 'server', namespace: ns });
    expect(await followed.ended).toBe('listening\n');
  });

  it('answers a follow request at once, before the container writes, so the client can stop it', async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pod('silent', {}, 'Always'),
    });
    await phase('silent', 'Running');
    // client-node hands back the request's AbortController only once the answer has started;
    // an apiserver starts it at once, whatever the container has written.
    const answered = await Promise.race([
      follow('silent'),
      new Promise<undefined>((resolve) => setTimeout(resolve, 3000, undefined)),
    ]);
    expect(answered, 'the follow request answered within 3 s').toBeDefined();
    answered?.abort();
    expect(answered?.text()).toBe('');
  });

  it('serves the previous run of a restarted container', async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pod('crasher', { KUBE_FAKE_CRASH: 'true', KUBE_FAKE_LOGS: 'panic: oh no' }, 'Always'),
    });
    await eventually(async () => {
      const p = await k.core.readNamespacedPod({ name: 'crasher', namespace: ns });
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined;
    }, 'a restart');
    expect(
      await k.core.readNamespacedPodLog({ name: 'crasher', namespace: ns, previous: true }),
    ).toBe('panic: oh no\n');
    const never = await failureOf(
      k.core.readNamespacedPodLog({ name: 'runner', namespace: ns, previous: true }),
    );
    expect(never).toMatchObject({
      code: 400,
      message: 'previous terminated container "main" in pod "runner" not found',
    });
  });

  it('answers 400 for an ambiguous or unknown container and 404 for an unknown pod', async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pod('pair', {}, 'Always', ['app', 'sidecar']),
    });
    await phase('pair', 'Running');
    const ambiguous = await failureOf(k.core.readNamespacedPodLog({ name: 'pair', namespace: ns }));
    expect(ambiguous).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'a container name must be specified for pod pair, choose one of: [app sidecar]',
    });
    const unknown = await failureOf(
      k.core.readNamespacedPodLog({ name: 'pair', namespace: ns, container: 'nope' }),
    );
    expect(unknown.message).toBe('container nope is not valid for pod pair');
    expect(
      await k.core.readNamespacedPodLog({ name: 'pair', namespace: ns, container: 'sidecar' }),
    ).toBe('');
    const missing = await failureOf(k.core.readNamespacedPodLog({ name: 'ghost', namespace: ns }));
    expect(missing).toMatchObject({ code: 404, message: 'pods "ghost" not found' });
  });

  it('answers 400 while the container is still being created', async () => {
    const slow = await startKubeApiServer({ controller: { podStartMs: 60_000 } });
    try {
      const client = kubeClients(slow);
      await client.core.createNamespacedPod({ namespace: 'default', body: pod('waiting', {}) });
      await eventually(
        async () =>
          (await client.core.readNamespacedPod({ name: 'waiting', namespace: 'default' })).spec
            ?.nodeName
            ? true
            : undefined,
        'scheduling',
      );
      const status = await failureOf(
        client.core.readNamespacedPodLog({ name: 'waiting', namespace: 'default' }),
      );
      expect(status).toMatchObject({
        code: 400,
        message: 'container "main" in pod "waiting" is waiting to start: ContainerCreating',
      });
    } finally {
      await slow.close();
    }
  });
});
