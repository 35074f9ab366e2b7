import { PatchStrategy, type V1Container, type V1Deployment } from '@kubernetes/client-node';
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
const ns = 'encoded';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(() => server.close());

function deployment(name: string, container: Partial<V1Container>, replicas = 1): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'task', image: 'busybox:1', ...container }] },
      },
    },
  };
}

const apply = (object: V1Deployment) =>
  k.objects.patch(
    object,
    undefined,
    undefined,
    'slipway',
    true,
    PatchStrategy.ServerSideApply,
  ) as Promise<V1Deployment>;

const containerOf = (d: V1Deployment | undefined) => d?.spec?.template.spec?.containers[0];

// The API server decodes into Go types and encodes back: `omitempty` fields at their zero value
// are gone, and resource.Quantity writes its canonical form.
describe('what the API server stores of empty values and quantities', () => {
  it('leaves out an empty env value and zero probe delays, and defaults zero probe fields', async () => {
    const created = await k.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment(
        'empty',
        {
          env: [
            { name: 'EMPTY', value: '' },
            { name: 'SET', value: 'x' },
          ],
          readinessProbe: {
            httpGet: { path: '/health', port: 8080 },
            initialDelaySeconds: 0,
            timeoutSeconds: 0,
            periodSeconds: 0,
          },
        },
        0,
      ),
    });
    const container = containerOf(created);
    expect(container?.env).toEqual([{ name: 'EMPTY' }, { name: 'SET', value: 'x' }]);
    expect(container?.readinessProbe).toEqual({
      httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    // replicas is a pointer: 0 is kept.
    expect(created.spec?.replicas).toBe(0);
  });

  it('writes resource quantities in canonical form', async () => {
    const written: Record<string, string> = {
      'cpu-half': '0.5',
      'cpu-whole-millis': '1000m',
      'cpu-one-and-a-half': '1.5',
      'memory-gibibyte-in-mebibytes': '1024Mi',
      'memory-half-gibibyte': '0.5Gi',
      'memory-thousand': '1000',
      'memory-exponent': '129e6',
      'memory-kept': '128Mi',
    };
    const created = await k.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('quantities', { resources: { requests: written } }),
    });
    expect(containerOf(created)?.resources?.requests).toEqual({
      'cpu-half': '500m',
      'cpu-whole-millis': '1',
      'cpu-one-and-a-half': '1500m',
      'memory-gibibyte-in-mebibytes': '1Gi',
      'memory-half-gibibyte': '512Mi',
      'memory-thousand': '1k',
      'memory-exponent': '129e6',
      'memory-kept': '128Mi',
    });
  });

  it('takes the same apply again as a no-op: same resourceVersion', async () => {
    const applied = deployment('again', {
      env: [{ name: 'EMPTY', value: '' }],
      readinessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 0 },
      resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: '1000m' } },
    });
    await apply(applied);
    // Once the controller has rolled it out, nothing else writes the Deployment.
    const settled = await eventually(async () => {
      const d = await k.apps.readNamespacedDeployment({ name: 'again', namespace: ns });
      return d.status?.conditions?.some((c) => c.reason === 'NewReplicaSetAvailable')
        ? d
        : undefined;
    }, 'the rollout to finish');
    expect(containerOf(settled)?.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '1' },
    });
    const again = await apply(applied);
    expect(again.metadata?.resourceVersion).toBe(settled.metadata?.resourceVersion);
  });
});
