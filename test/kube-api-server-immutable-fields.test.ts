import {
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Job,
} from '@kubernetes/client-node';
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
const ns = 'frozen';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function job(image: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: ns },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image }] } } },
  };
}

describe('immutable fields answer 422 like a real API server', () => {
  it("refuses a change of a Job's pod template, by apply and by patch, until the Job is recreated", async () => {
    await k.objects.patch(
      job('migrate:1'),
      undefined,
      undefined,
      'slipway',
      true,
      PatchStrategy.ServerSideApply,
    );
    const applied = await failureOf(
      k.objects.patch(
        job('migrate:2'),
        undefined,
        undefined,
        'slipway',
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
    expect(applied).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: {
        name: 'migrate',
        group: 'batch',
        kind: 'Job',
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.template' }],
      },
    });
    expect(applied.message).toMatch(
      /^Job\.batch "migrate" is invalid: spec\.template: Invalid value: .*: field is immutable$/,
    );
    const patched = await failureOf(
      k.batch.patchNamespacedJob(
        {
          name: 'migrate',
          namespace: ns,
          body: { spec: { template: { metadata: { labels: { x: 'y' } } } } },
        },
        merge,
      ),
    );
    expect(patched.message).toContain('field is immutable');
    // Re-applying the same template is fine; changing other fields is fine.
    await k.objects.patch(
      { ...job('migrate:1'), metadata: { name: 'migrate', namespace: ns, labels: { run: '1' } } },
      undefined,
      undefined,
      'slipway',
      true,
      PatchStrategy.ServerSideApply,
    );

    await k.batch.deleteNamespacedJob({
      name: 'migrate',
      namespace: ns,
      propagationPolicy: 'Background',
    });
    const recreated = (await k.objects.patch(
      job('migrate:2'),
      undefined,
      undefined,
      'slipway',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1Job;
    expect(recreated.spec?.template.spec?.containers[0]?.image).toBe('migrate:2');
  });

  it("refuses a change of a Deployment's selector", async () => {
    const body: V1Deployment = {
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', v: '1' } },
          spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
        },
      },
    };
    await k.apps.createNamespacedDeployment({ namespace: ns, body });
    const status = await failureOf(
      k.apps.patchNamespacedDeployment(
        {
          name: 'web',
          namespace: ns,
          body: { spec: { selector: { matchLabels: { app: 'web', v: '1' } } } },
        },
        merge,
      ),
    );
    expect(status.message).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    const mismatch = await failureOf(
      k.apps.patchNamespacedDeployment(
        {
          name: 'web',
          namespace: ns,
          body: { spec: { template: { metadata: { labels: { app: 'other' } } } } },
        },
        merge,
      ),
    );
    expect(mismatch.message).toContain('`selector` does not match template `labels`');
  });

  it("keeps a Service's clusterIP once set, and refuses a different one", async () => {
    const created = await k.core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'svc' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    });
    const ip = created.spec?.clusterIP ?? '';
    expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(created.spec?.clusterIPs).toEqual([ip]);
    expect(created.spec?.ports?.[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });
    const { clusterIP: _, clusterIPs: __, ...spec } = created.spec ?? {};
    const replaced = await k.core.replaceNamespacedService({
      name: 'svc',
      namespace: ns,
      body: { ...created, spec },
    });
    expect(replaced.spec?.clusterIP).toBe(ip);
    const status = await failureOf(
      k.core.patchNamespacedService(
        { name: 'svc', namespace: ns, body: { spec: { clusterIP: '10.96.250.250' } } },
        merge,
      ),
    );
    expect(status.code).toBe(422);
    expect(status.message).toContain(
      'spec.clusterIP: Invalid value: "10.96.250.250": field is immutable',
    );
  });

  it("refuses changes to a Pod's spec other than images", async () => {
    await k.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'a:1' }] } },
    });
    await eventually(
      async () =>
        (await k.core.readNamespacedPod({ name: 'p', namespace: ns })).spec?.nodeName
          ? true
          : undefined,
      'the pod to be scheduled',
    );
    const image = await k.core.patchNamespacedPod(
      { name: 'p', namespace: ns, body: { spec: { containers: [{ name: 'c', image: 'a:2' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(image.spec?.containers[0]?.image).toBe('a:2');
    const status = await failureOf(
      k.core.patchNamespacedPod(
        { name: 'p', namespace: ns, body: { spec: { restartPolicy: 'Never' } } },
        merge,
      ),
    );
    expect(status).toMatchObject({
      code: 422,
      details: { causes: [{ reason: 'FieldValueForbidden', field: 'spec' }] },
    });
  });
});
