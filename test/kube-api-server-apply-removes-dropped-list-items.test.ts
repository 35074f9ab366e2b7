import {
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';

let server: KubeApiServer;
let k: KubeClients;
const ns = 'dropped';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function apply<T extends KubernetesObject>(object: T): Promise<T> {
  return k.objects.patch(
    object,
    undefined,
    undefined,
    'slipway',
    true,
    PatchStrategy.ServerSideApply,
  ) as Promise<T>;
}

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

function service(port: number): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: ns },
    spec: {
      type: 'ClusterIP',
      selector: { app: 'web' },
      ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

const containersOf = (d: V1Deployment) => d.spec?.template.spec?.containers ?? [];

// A real kube-apiserver removes a list item the applier no longer applies whole, when no other
// manager owns part of it; the item is found by its key fields, so they go last, with the item.
describe('server-side apply removes a list item the applier dropped', () => {
  it('removes an env variable no longer applied, leaving no empty item behind', async () => {
    const variable = (name: string) => ({ name, value: name.toLowerCase() });
    const env = (names: string[]) =>
      deployment('env', { name: 'task', image: 'busybox:1', env: names.map(variable) });
    await apply(env(['A', 'B']));
    const after = await apply(env(['A']));
    expect(containersOf(after)[0]?.env).toEqual([{ name: 'A', value: 'a' }]);
  });

  it('moves a Service to another port (ports are keyed by port and protocol)', async () => {
    await apply(service(8080));
    const after = await apply(service(9090));
    expect(after.spec?.ports).toEqual([
      { name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' },
    ]);
  });

  it('moves a container to another port (container ports are keyed by containerPort and protocol)', async () => {
    const ported = (containerPort: number) =>
      deployment('ported', {
        name: 'task',
        image: 'busybox:1',
        ports: [{ name: 'http', containerPort, protocol: 'TCP' }],
      });
    await apply(ported(8080));
    const after = await apply(ported(9090));
    expect(containersOf(after)[0]?.ports).toEqual([
      { name: 'http', containerPort: 9090, protocol: 'TCP' },
    ]);
  });

  it('replaces a renamed container instead of keeping a nameless one', async () => {
    await apply(deployment('renamed', { name: 'task', image: 'busybox:1' }));
    const after = await apply(deployment('renamed', { name: 'main', image: 'busybox:2' }));
    expect(containersOf(after).map((c) => `${c.name}=${c.image}`)).toEqual(['main=busybox:2']);
  });

  it('keeps a dropped item another manager holds part of, with the key that names it', async () => {
    const env = (variables: { name: string; value: string }[]) =>
      deployment('shared', { name: 'task', image: 'busybox:1', env: variables });
    await apply(
      env([
        { name: 'A', value: 'a' },
        { name: 'B', value: 'b' },
      ]),
    );
    await k.apps.patchNamespacedDeployment(
      {
        name: 'shared',
        namespace: ns,
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'task', env: [{ name: 'B', value: 'edited' }] }] },
            },
          },
        },
        fieldManager: 'kubectl-set',
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const after = await apply(env([{ name: 'A', value: 'a' }]));
    expect(containersOf(after)[0]?.env).toEqual([
      { name: 'A', value: 'a' },
      { name: 'B', value: 'edited' },
    ]);
  });
});
