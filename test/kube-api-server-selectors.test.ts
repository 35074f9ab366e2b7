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
const ns = 'select';

const pods: [string, Record<string, string>, Record<string, string>][] = [
  ['a', { app: 'web', tier: 'front', env: 'prod' }, {}],
  ['b', { app: 'web', tier: 'back' }, {}],
  ['c', { app: 'db', env: 'dev' }, {}],
  ['d', { app: 'job' }, { KUBE_FAKE_DURATION_MS: '1' }],
];

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
  for (const [name, labels, env] of pods) {
    const restartPolicy = name === 'd' ? 'Never' : 'Always';
    await k.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          restartPolicy,
          containers: [
            {
              name: 'c',
              image: 'busybox:1',
              env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
            },
          ],
        },
      },
    });
  }
});
afterAll(() => server.close());

async function names(labelSelector?: string, fieldSelector?: string): Promise<string[]> {
  const list = await k.core.listNamespacedPod({ namespace: ns, labelSelector, fieldSelector });
  return list.items.map((p) => p.metadata?.name ?? '');
}

describe('label and field selectors', () => {
  it.each([
    ['app=web', ['a', 'b']],
    ['app==web', ['a', 'b']],
    ['app!=web', ['c', 'd']],
    ['app in (web, db)', ['a', 'b', 'c']],
    ['app notin (web,db)', ['d']],
    ['env', ['a', 'c']],
    ['!env', ['b', 'd']],
    ['app=web,tier=front', ['a']],
    ['app=web,!env', ['b']],
    ['tier notin (back)', ['a', 'c', 'd']],
  ])('labelSelector %s', async (selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  it('selects on metadata.name, metadata.namespace and status.phase', async () => {
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(await names(undefined, 'metadata.name!=b,metadata.namespace=select')).toEqual([
      'a',
      'c',
      'd',
    ]);
    expect(
      await eventually(async () => {
        const done = await names(undefined, 'status.phase=Succeeded');
        return done.length === 1 ? done : undefined;
      }, 'pod d to succeed'),
    ).toEqual(['d']);
    expect(await names('app=web', 'status.phase!=Succeeded')).toEqual(['a', 'b']);
  });

  it('answers 400 BadRequest for a malformed selector or an unsupported field', async () => {
    for (const labelSelector of ['app in web', 'app=(', 'a b', 'app=web,']) {
      const status = await failureOf(k.core.listNamespacedPod({ namespace: ns, labelSelector }));
      expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
      expect(status.message).toMatch(/unable to parse requirement/);
    }
    const field = await failureOf(
      k.core.listNamespacedPod({ namespace: ns, fieldSelector: 'spec.containers=x' }),
    );
    expect(field).toMatchObject({
      code: 400,
      message: 'field label not supported: spec.containers',
    });
  });
});
