import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubernetesRuntime,
  type KubernetesRuntime,
  loadKubeConfig,
} from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { specHash } from '../core/tasks/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';

const NAMESPACE = 'stalled';

function job(version: number): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind: 'job',
    namespace: NAMESPACE,
    name: 'migrate',
    labels: { [LABELS.managedBy]: 'slipway', [LABELS.task]: 'migrate' },
    image: `registry.example.com/migrate:${version}`,
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

describe('a Kubernetes API server that takes a request and never answers', () => {
  let server: KubeApiServer;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    server = await startKubeApiServer();
    // The production configuration (shared keep-alive connections), as the server loads it.
    runtime = createKubernetesRuntime({
      kubeConfig: loadKubeConfig({ path: server.kubeconfigPath, inCluster: false }),
      retry: { attempts: 2, backoff: { baseMs: 10, maxMs: 10 } },
      requestTimeoutMs: 500,
    });
    await runtime.start();
    await runtime.ensureNamespace(NAMESPACE);
  });
  afterAll(async () => {
    await runtime?.stop();
    await server?.close();
  });

  it('gives the apply up at the request time limit, as a transient failure, then applies', async () => {
    // Held far longer than the test runs: only the client's limit ends the wait.
    server.inject({ method: 'PATCH', path: '/jobs/', delayMs: 120_000, times: 2 });
    const started = Date.now();
    const failure = await runtime.apply([job(1)]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failure).toMatchObject({
      code: 'KUBE_UNAVAILABLE',
      retryable: true,
      message: expect.stringMatching(
        /^apply Job stalled\/migrate: the API server did not answer within 0\.5 s/,
      ),
    });
    // The fault is used up: the next apply goes through on the same connections.
    expect(await runtime.apply([job(1)])).toEqual([
      { kind: 'job', namespace: NAMESPACE, name: 'migrate', action: 'created' },
    ]);
    expect(server.objects('jobs', NAMESPACE).map((j) => j.metadata.name)).toEqual(['migrate']);
  });
});
