import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubernetesRuntime,
  type KubernetesRuntime,
} from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { specHash } from '../core/tasks/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

function worker(namespace: string): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind: 'deployment',
    namespace,
    name: 'worker',
    labels: { [LABELS.managedBy]: 'slipway', [LABELS.task]: 'worker' },
    image: 'registry.example.com/worker:1',
    imagePullPolicy: null,
    command: null,
    env: [],
    schedule: null,
    replicas: 1,
    port: null,
    resources: {},
    published: null,
    workdir: null,
    source: null,
  };
  return { ...base, specHash: specHash(base) };
}

// A pull request's preview takes its namespace with it; the runtime deletes only a namespace
// Slipway made, and only once nothing it deployed runs there.
describe('the Kubernetes runtime removing a namespace', () => {
  let server: KubeApiServer;
  let runtime: KubernetesRuntime;
  let core: CoreV1Api;

  const phaseOf = (name: string) =>
    server.objects('namespaces').find((ns) => ns.metadata.name === name)?.status?.phase as
      | string
      | undefined;

  beforeAll(async () => {
    server = await startKubeApiServer();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);
    core = kubeConfig.makeApiClient(CoreV1Api);
    runtime = createKubernetesRuntime({
      kubeConfig,
      retry: { attempts: 1, backoff: { baseMs: 10, maxMs: 10 } },
    });
    await runtime.start();
  });
  afterAll(async () => {
    await runtime?.stop();
    await server?.close();
  });

  it('keeps one something Slipway deployed still runs in, and deletes it once empty', async () => {
    await runtime.ensureNamespace('shop-pr-1');
    await runtime.apply([worker('shop-pr-1')]);
    expect(await runtime.removeNamespace('shop-pr-1')).toBe(false);
    expect(phaseOf('shop-pr-1')).toBe('Active');

    await runtime.delete({ kind: 'deployment', namespace: 'shop-pr-1', name: 'worker' });
    expect(await runtime.removeNamespace('shop-pr-1')).toBe(true);
    await eventually(
      () => phaseOf('shop-pr-1') === undefined || undefined,
      'the namespace to be gone',
    );
    expect(await runtime.removeNamespace('shop-pr-1')).toBe(false);
  });

  it('never deletes a namespace someone else made', async () => {
    await core.createNamespace({ body: { metadata: { name: 'hand-made-pr-2' } } });
    await runtime.ensureNamespace('hand-made-pr-2');
    expect(await runtime.removeNamespace('hand-made-pr-2')).toBe(false);
    expect(phaseOf('hand-made-pr-2')).toBe('Active');
  });

  it('makes a namespace anew once the one being deleted is gone, for a preview reopened at once', async () => {
    await runtime.ensureNamespace('shop-pr-3');
    // A pod in it keeps it Terminating a while (until its kubelet confirms the pod gone).
    await runtime.apply([worker('shop-pr-3')]);
    await eventually(
      () => server.objects('pods', 'shop-pr-3').length > 0 || undefined,
      'a pod of the worker',
    );
    await core.deleteNamespace({ name: 'shop-pr-3' });
    expect(phaseOf('shop-pr-3')).toBe('Terminating');
    await runtime.ensureNamespace('shop-pr-3');
    expect(phaseOf('shop-pr-3')).toBe('Active');
    expect(server.objects('deployments', 'shop-pr-3')).toEqual([]);
  });
});
