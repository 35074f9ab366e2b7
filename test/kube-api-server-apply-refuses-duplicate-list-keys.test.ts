import { PatchStrategy, type V1Container, type V1Deployment } from '@kubernetes/client-node';
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
const ns = 'dups';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function deployment(name: string, container: V1Container): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
  };
}

const apply = (object: V1Deployment) =>
  k.objects.patch(object, undefined, undefined, 'slipway', true, PatchStrategy.ServerSideApply);

const twice = (name: string) => [
  { name, value: 'a' },
  { name, value: 'b' },
];

// structured-merge-diff v4.4 refuses a typed patch with duplicate keys (kubernetes/kubernetes#121575);
// the API server answers its error as it is: a 500 with no reason.
describe('server-side apply of a list that names an item twice', () => {
  it('answers 500 naming the list and the key, and stores nothing', async () => {
    const status = await failureOf(
      apply(deployment('one', { name: 'task', image: 'busybox:1', env: twice('NP_RELEASE') })),
    );
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'failed to create typed patch object (dups/one; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="task"].env: duplicate entries for key [name="NP_RELEASE"]',
      code: 500,
    });
    expect(server.objects('deployments', ns)).toEqual([]);
  });

  it('lists every duplicate, keys of several fields included, and refuses an update too', async () => {
    await apply(deployment('two', { name: 'task', image: 'busybox:1' }));
    const status = await failureOf(
      apply(
        deployment('two', {
          name: 'task',
          image: 'busybox:2',
          env: twice('FOO'),
          ports: [{ containerPort: 93 }, { containerPort: 93, protocol: 'TCP' }],
        }),
      ),
    );
    expect(status.code).toBe(500);
    expect(status.message).toBe(
      'failed to create typed patch object (dups/two; apps/v1, Kind=Deployment): errors:\n' +
        '  .spec.template.spec.containers[name="task"].env: duplicate entries for key [name="FOO"]\n' +
        '  .spec.template.spec.containers[name="task"].ports: duplicate entries for key [containerPort=93,protocol="TCP"]',
    );
    const stored = server.objects<V1Deployment>('deployments', ns)[0];
    expect(stored?.spec?.template.spec?.containers[0]?.image).toBe('busybox:1');
  });

  it('names a core kind with an empty group', async () => {
    const status = await failureOf(
      k.objects.patch(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: ns },
          spec: {
            selector: { app: 'web' },
            ports: [
              { name: 'a', port: 80 },
              { name: 'b', port: 80 },
            ],
          },
        },
        undefined,
        undefined,
        'slipway',
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
    expect(status.message).toBe(
      'failed to create typed patch object (dups/web; /v1, Kind=Service): .spec.ports: duplicate entries for key [port=80,protocol="TCP"]',
    );
  });

  it('still lets a create store duplicates, as the API server does', async () => {
    const created = await k.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('created', { name: 'task', image: 'busybox:1', env: twice('FOO') }),
    });
    expect(created.spec?.template.spec?.containers[0]?.env).toHaveLength(2);
  });
});
