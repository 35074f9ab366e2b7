import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubernetesRuntime,
  type KubernetesRuntime,
} from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { specHash } from '../core/tasks/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

const NAMESPACE = 'ports';

function web(port: number): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind: 'service',
    namespace: NAMESPACE,
    name: 'web',
    labels: { [LABELS.managedBy]: 'slipway', [LABELS.task]: 'web' },
    image: 'registry.example.com/web:1',
    imagePullPolicy: null,
    command: null,
    env: [],
    schedule: null,
    replicas: 1,
    port,
    resources: {},
    published: null,
    workdir: null,
    source: null,
  };
  return { ...base, specHash: specHash(base) };
}

describe('a service whose container-port changed in git', () => {
  let server: KubeApiServer;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    server = await startKubeApiServer();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);
    // One attempt: a refused apply must fail the test at once, not after retries.
    runtime = createKubernetesRuntime({
      kubeConfig,
      retry: { attempts: 1, backoff: { baseMs: 10, maxMs: 10 } },
    });
    await runtime.start();
    await runtime.ensureNamespace(NAMESPACE);
  });
  afterAll(async () => {
    await runtime?.stop();
    await server?.close();
  });

  it('moves to the new port: the Service, the container and the address all say it', async () => {
    const ref = { kind: 'service' as const, namespace: NAMESPACE, name: 'web' };
    expect(await runtime.apply([web(8080)])).toEqual([{ ...ref, action: 'created' }]);
    expect(await runtime.apply([web(9090)])).toEqual([{ ...ref, action: 'changed' }]);

    const service = server.objects('services', NAMESPACE).find((s) => s.metadata.name === 'web');
    expect(service?.spec.ports).toEqual([
      { name: 'http', port: 9090, targetPort: 'http', protocol: 'TCP' },
    ]);
    const deployment = server.objects('deployments', NAMESPACE)[0];
    expect(deployment?.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 9090, protocol: 'TCP' },
    ]);
    const status = await eventually(async () => {
      const s = await runtime.status(ref);
      return s.health === 'healthy' ? s : undefined;
    }, 'the service to be healthy on its new port');
    expect(status.address).toBe(`http://web.${NAMESPACE}.svc.cluster.local:9090`);
  });
});
