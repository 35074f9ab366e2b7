import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
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
const ns = 'ssa';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function deployment(
  name: string,
  image: string,
  extra: Partial<V1Deployment['spec']> = {},
  labels: Record<string, string> = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name, ...labels } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image }] },
      },
      ...extra,
    },
  };
}

function apply(object: V1Deployment, manager = 'slipway', force = true) {
  return k.objects.patch(
    object,
    undefined,
    undefined,
    manager,
    force,
    PatchStrategy.ServerSideApply,
  );
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('server-side apply', () => {
  it('creates the object and records the applier as an Apply manager of exactly its fields', async () => {
    const created = (await apply(deployment('web', 'nginx:1.26'))) as V1Deployment;
    expect(created.metadata?.generation).toBe(1);
    const entry = created.metadata?.managedFields?.find((m) => m.manager === 'slipway');
    expect(entry).toMatchObject({
      operation: 'Apply',
      apiVersion: 'apps/v1',
      fieldsType: 'FieldsV1',
    });
    expect(entry?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
          },
        },
      },
    });
    // Defaults are the server's, owned by no one.
    expect(created.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(created.spec?.revisionHistoryLimit).toBe(10);
  });

  it('is a no-op when nothing changed: same resourceVersion, same generation', async () => {
    // Once the controller has rolled it out, nothing writes the Deployment any more.
    const before = await eventually(async () => {
      const d = await k.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return d.status?.conditions?.some((c) => c.reason === 'NewReplicaSetAvailable')
        ? d
        : undefined;
    }, 'the rollout to finish');
    const again = (await apply(deployment('web', 'nginx:1.26'))) as V1Deployment;
    expect(again.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(again.metadata?.generation).toBe(before.metadata?.generation);
  });

  it('updates the fields it owns and bumps the generation', async () => {
    const updated = (await apply(deployment('web', 'nginx:1.27'))) as V1Deployment;
    expect(updated.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
    expect(updated.metadata?.generation).toBe(2);
  });

  it('answers 409 naming the manager and field when another manager owns a field it changes, unless forced', async () => {
    await k.apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { replicas: 5 } }, fieldManager: 'kubectl-edit' },
      mergePatch,
    );
    const status = await failureOf(apply(deployment('web', 'nginx:1.27'), 'slipway', false));
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 409,
      reason: 'Conflict',
      message:
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
    });
    expect(
      (await k.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas,
    ).toBe(5);

    const forced = (await apply(deployment('web', 'nginx:1.27'), 'slipway', true)) as V1Deployment;
    expect(forced.spec?.replicas).toBe(2);
    const editor = forced.metadata?.managedFields?.find((m) => m.manager === 'kubectl-edit');
    expect(JSON.stringify(editor?.fieldsV1 ?? {})).not.toContain('f:replicas');
  });

  it('shares a field when another applier sets the same value, and conflicts on a different one', async () => {
    const shared = (await apply(
      deployment('web', 'nginx:1.27'),
      'other-tool',
      false,
    )) as V1Deployment;
    expect(shared.metadata?.managedFields?.map((m) => m.manager)).toEqual(
      expect.arrayContaining(['slipway', 'other-tool']),
    );
    const status = await failureOf(
      apply(deployment('web', 'nginx:1.28', { replicas: 3 }), 'other-tool', false),
    );
    expect(status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "slipway":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
    expect(status.details?.causes?.map((c) => c.field)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name="web"].image',
    ]);
  });

  it('removes fields the applier no longer sets, but keeps those another manager owns', async () => {
    await apply(deployment('labels', 'nginx:1.27', {}, { tier: 'web', owner: 'team-a' }));
    await k.apps.patchNamespacedDeployment(
      {
        name: 'labels',
        namespace: ns,
        body: { metadata: { labels: { extra: 'kept' } } },
        fieldManager: 'someone',
      },
      mergePatch,
    );
    const after = (await apply(
      deployment('labels', 'nginx:1.27', {}, { tier: 'web' }),
    )) as V1Deployment;
    expect(after.metadata?.labels).toEqual({ app: 'labels', tier: 'web', extra: 'kept' });
  });

  it('merges containers by name: another container added by someone else survives a re-apply', async () => {
    const withSidecar = deployment('sidecar', 'nginx:1.27');
    await apply(withSidecar);
    await k.apps.patchNamespacedDeployment(
      {
        name: 'sidecar',
        namespace: ns,
        body: {
          spec: { template: { spec: { containers: [{ name: 'proxy', image: 'envoy:1' }] } } },
        },
        fieldManager: 'injector',
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const after = (await apply(deployment('sidecar', 'nginx:1.28'))) as V1Deployment;
    expect(after.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'web=nginx:1.28',
      'proxy=envoy:1',
    ]);
  });

  it('requires a fieldManager and the object type, as a real API server does', async () => {
    const body = JSON.stringify(deployment('web', 'nginx:1.27'));
    const url = `${server.url}/apis/apps/v1/namespaces/${ns}/deployments/web`;
    const headers = {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/apply-patch+yaml',
    };
    const noManager = await fetch(url, { method: 'PATCH', headers, body });
    expect(noManager.status).toBe(422);
    expect(await noManager.json()).toMatchObject({
      reason: 'Invalid',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    const noKind = await fetch(`${url}?fieldManager=x`, {
      method: 'PATCH',
      headers,
      body: 'metadata:\n  name: web\n',
    });
    expect(noKind.status).toBe(400);
    const yaml = await fetch(`${url}?fieldManager=yaml-user&force=true`, {
      method: 'PATCH',
      headers,
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    note: from-yaml\n',
    });
    expect(yaml.status).toBe(200);
    expect(((await yaml.json()) as V1Deployment).metadata?.annotations).toEqual({
      note: 'from-yaml',
      'deployment.kubernetes.io/revision': expect.any(String),
    });
  });

  it('creates in a missing namespace only if it exists (404 for the namespace)', async () => {
    const status = await failureOf(
      apply({ ...deployment('lost', 'nginx:1'), metadata: { name: 'lost', namespace: 'nowhere' } }),
    );
    expect(status).toMatchObject({
      code: 404,
      message: 'namespaces "nowhere" not found',
      details: { name: 'nowhere', kind: 'namespaces' },
    });
  });
});
