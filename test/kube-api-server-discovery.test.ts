import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, kubeClients, startKubeApiServer } from './fakes/kube/index.js';

let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer();
});
afterAll(() => server.close());

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${server.token}`, ...headers },
  });
}

describe('discovery', () => {
  it('answers /version and health endpoints without a token, everything else only with it', async () => {
    const version = await fetch(`${server.url}/version`);
    expect(await version.json()).toMatchObject({ major: '1', minor: '30', gitVersion: 'v1.30.0' });
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok');

    for (const authorization of [undefined, 'Bearer wrong']) {
      const denied = await fetch(`${server.url}/api/v1/namespaces`, {
        headers: authorization ? { authorization } : {},
      });
      expect(denied.status).toBe(401);
      expect(await denied.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });

  it('lists the core version and every API group with its preferred version', async () => {
    expect(await (await get('/api')).json()).toMatchObject({
      kind: 'APIVersions',
      versions: ['v1'],
    });
    const groups = (await (await get('/apis')).json()) as {
      groups: { name: string; preferredVersion: { groupVersion: string } }[];
    };
    expect(
      Object.fromEntries(groups.groups.map((g) => [g.name, g.preferredVersion.groupVersion])),
    ).toMatchObject({
      apps: 'apps/v1',
      batch: 'batch/v1',
      'networking.k8s.io': 'networking.k8s.io/v1',
      'gateway.networking.k8s.io': 'gateway.networking.k8s.io/v1',
    });
  });

  it('describes resources and subresources per group version', async () => {
    type Resources = {
      groupVersion: string;
      resources: {
        name: string;
        kind: string;
        namespaced: boolean;
        verbs: string[];
        shortNames?: string[];
        group?: string;
      }[];
    };
    const core = (await (await get('/api/v1')).json()) as Resources;
    const byName = Object.fromEntries(core.resources.map((r) => [r.name, r]));
    expect(byName.namespaces).toMatchObject({
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
    });
    expect(byName.pods).toMatchObject({
      kind: 'Pod',
      namespaced: true,
      verbs: expect.arrayContaining(['create', 'list', 'watch', 'patch', 'deletecollection']),
    });
    expect(byName['pods/log']).toMatchObject({ verbs: ['get'] });
    expect(byName['services/status']).toBeDefined();

    const batch = (await (await get('/apis/batch/v1')).json()) as Resources;
    expect(batch.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['jobs', 'jobs/status', 'cronjobs']),
    );
    const apps = (await (await get('/apis/apps/v1')).json()) as Resources;
    expect(apps.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    const gateway = (await (await get('/apis/gateway.networking.k8s.io/v1')).json()) as Resources;
    expect(gateway.resources.find((r) => r.name === 'httproutes')).toMatchObject({
      kind: 'HTTPRoute',
      namespaced: true,
    });
    expect((await get('/apis/nothing.example.com/v1')).status).toBe(404);
  });

  it('answers aggregated discovery requests in the legacy format, so clients fall back', async () => {
    const response = await get('/apis', {
      accept:
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ kind: 'APIGroupList' });
  });

  it('answers OpenAPI documents with a 404 Status (clients then skip schema validation)', async () => {
    for (const path of ['/openapi/v2', '/openapi/v3']) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        kind: 'Status',
        reason: 'NotFound',
        code: 404,
      });
    }
  });

  it('lets KubernetesObjectApi find resources through discovery', async () => {
    const { objects } = kubeClients(server);
    const namespace = await objects.read({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    });
    expect(namespace.metadata?.name).toBe('default');
    const routes = await objects.list('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default');
    expect(routes.items).toEqual([]);
    await expect(objects.list('example.com/v1', 'Widget')).rejects.toThrow(/404|not find/);
  });
});
