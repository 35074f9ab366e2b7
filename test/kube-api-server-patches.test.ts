import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
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
const ns = 'patches';
const as = (type: string) => setHeaderOptions('Content-Type', type);

beforeAll(async () => {
  server = await startKubeApiServer({ controller: { podStartMs: 60_000 } });
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
  const body: V1Deployment = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80 }],
            },
            { name: 'log', image: 'fluent:1' },
          ],
        },
      },
    },
  };
  await k.apps.createNamespacedDeployment({ namespace: ns, body });
});
afterAll(() => server.close());

const containers = (d: V1Deployment) => d.spec?.template.spec?.containers ?? [];

describe('patches', () => {
  it('applies a JSON merge patch: maps merge, null deletes, lists are replaced', async () => {
    const patched = await k.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          metadata: { labels: { tier: null, owner: 'me' } },
          spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox:1' }] } } },
        },
      },
      as(PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels).toEqual({ app: 'web', owner: 'me' });
    expect(containers(patched).map((c) => c.name)).toEqual(['only']);
  });

  it('applies a strategic merge patch: containers merge by name, env by name, ports by containerPort', async () => {
    await k.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'web',
                    image: 'nginx:1',
                    env: [{ name: 'A', value: '1' }],
                    ports: [{ containerPort: 80 }],
                  },
                  { name: 'log', image: 'fluent:1' },
                ],
              },
            },
          },
        },
      },
      as(PatchStrategy.MergePatch),
    );
    const patched = await k.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'web',
                    image: 'nginx:2',
                    env: [{ name: 'B', value: 'new' }],
                    ports: [{ containerPort: 443, name: 'https' }],
                  },
                ],
              },
            },
          },
        },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    const [web, log] = containers(patched);
    expect(web).toMatchObject({ name: 'web', image: 'nginx:2' });
    expect(web?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'new' },
    ]);
    expect(web?.ports?.map((p) => p.containerPort)).toEqual([80, 443]);
    expect(log).toMatchObject({ name: 'log', image: 'fluent:1' });
  });

  it('understands $patch: delete in a strategic merge patch', async () => {
    const patched = await k.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'log', $patch: 'delete' }] } } } },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['web']);
  });

  it('applies a JSON patch, and answers 422 when a test operation fails', async () => {
    const patched = await k.apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: [
        { op: 'test', path: '/spec/replicas', value: 1 },
        { op: 'replace', path: '/spec/replicas', value: 4 },
        { op: 'add', path: '/metadata/labels/patched', value: 'json' },
      ],
    });
    expect(patched.spec?.replicas).toBe(4);
    expect(patched.metadata?.labels?.patched).toBe('json');
    const status = await failureOf(
      k.apps.patchNamespacedDeployment({
        name: 'web',
        namespace: ns,
        body: [{ op: 'test', path: '/spec/replicas', value: 1 }],
      }),
    );
    expect(status.code).toBe(422);
  });

  it('answers 404 for a patch of a missing object and 415 for an unknown patch type', async () => {
    const missing = await failureOf(
      k.apps.patchNamespacedDeployment(
        { name: 'ghost', namespace: ns, body: { spec: {} } },
        as(PatchStrategy.MergePatch),
      ),
    );
    expect(missing).toMatchObject({ code: 404, message: 'deployments.apps "ghost" not found' });
    const response = await fetch(`${server.url}/apis/apps/v1/namespaces/${ns}/deployments/web`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/xml' },
      body: '<x/>',
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ reason: 'UnsupportedMediaType' });
  });

  it('refuses strategic merge patches of custom resources (HTTPRoute), as CRDs do', async () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
    };
    await k.custom.createNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: ns,
      plural: 'httproutes',
      body: route,
    });
    const status = await failureOf(
      k.custom.patchNamespacedCustomObject(
        {
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          namespace: ns,
          plural: 'httproutes',
          name: 'r',
          body: { spec: { hostnames: ['a.example'] } },
        },
        as(PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(status.code).toBe(415);
    const merged = (await k.custom.patchNamespacedCustomObject(
      {
        group: 'gateway.networking.k8s.io',
        version: 'v1',
        namespace: ns,
        plural: 'httproutes',
        name: 'r',
        body: { spec: { hostnames: ['a.example'] } },
      },
      as(PatchStrategy.MergePatch),
    )) as { spec: { hostnames: string[]; rules: { backendRefs: { weight: number }[] }[] } };
    expect(merged.spec.hostnames).toEqual(['a.example']);
    expect(merged.spec.rules[0]?.backendRefs[0]?.weight).toBe(1);
  });
});
