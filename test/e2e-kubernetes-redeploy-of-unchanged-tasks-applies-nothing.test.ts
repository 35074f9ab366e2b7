import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesRuntime } from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { specHash } from '../core/tasks/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const NS = 'steady';

const patches = (kube: KubeApiServer, from: number) =>
  kube.requests.slice(from).filter((r) => r.method === 'PATCH');

// The API server stores env value "" and initialDelaySeconds 0 as absent and "0.5" as "500m"; a
// drift check that read those as changes would apply every such workload on every deploy.
describe('a redeploy of tasks the API server stores in its own form', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo({
      'tasks/api/manifest.json': manifest({
        name: 'api',
        type: 'service',
        'image-destination': 'registry.example.com/steady/api:1',
        env: [
          { name: 'EMPTY', value: '' },
          { name: 'GREETING', value: 'hello' },
        ],
        'cpu-request': '0.5',
        'cpu-limit': '1000m',
        'memory-request': '1024Mi',
      }),
      'tasks/worker/manifest.json': manifest({
        name: 'worker',
        type: 'deployment',
        'image-destination': 'registry.example.com/steady/worker:1',
        env: [{ name: 'OPTIONAL', value: '' }],
        'memory-limit': '0.5Gi',
      }),
    });
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it('finds no drift in a workspace deploy of the same commit, and applies nothing', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'steady',
      repositoryUrl: repo.dir,
      namespace: NS,
    });
    const deploy = async () => {
      const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
      const done = await waitForJob(server, queued.json.id, undefined, 60_000);
      expect(done.status, await jobLog(server, queued.json.id)).toBe('COMPLETE');
      return done;
    };
    expect((await deploy()).result.created).toHaveLength(2);
    const api = kube.objects('deployments', NS).find((d) => d.metadata.name === 'api');
    // What makes this test worth having: the server did not store what Slipway sent.
    expect(api?.spec.template.spec.containers[0].env).toEqual([
      { name: 'EMPTY' },
      { name: 'GREETING', value: 'hello' },
    ]);
    expect(api?.spec.template.spec.containers[0].resources.requests).toEqual({
      cpu: '500m',
      memory: '1Gi',
    });

    const before = kube.requests.length;
    const again = await deploy();
    expect(again.result.changed).toEqual([]);
    expect(again.result.unchanged).toHaveLength(2);
    expect(patches(kube, before)).toEqual([]);
  });

  it('finds no drift in a service whose readiness probe waits 0 s (a nullplatform scope may ask so)', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kube.kubeconfigPath);
    const runtime = createKubernetesRuntime({ kubeConfig });
    await runtime.start();
    try {
      const base: Omit<Workload, 'specHash'> = {
        kind: 'service',
        namespace: NS,
        name: 'eager',
        labels: { [LABELS.managedBy]: 'slipway', [LABELS.task]: 'eager' },
        image: 'registry.example.com/steady/eager:1',
        imagePullPolicy: null,
        command: null,
        env: [],
        schedule: null,
        replicas: 1,
        port: 8080,
        resources: { cpuRequest: '0.25' },
        published: null,
        healthCheck: {
          path: '/health',
          periodSeconds: 10,
          timeoutSeconds: 2,
          initialDelaySeconds: 0,
        },
        workdir: null,
        source: null,
      };
      const workload = { ...base, specHash: specHash(base) };
      const ref = { kind: 'service' as const, namespace: NS, name: 'eager' };
      expect(await runtime.apply([workload])).toEqual([{ ...ref, action: 'created' }]);
      const probe = kube.objects('deployments', NS).find((d) => d.metadata.name === 'eager')?.spec
        .template.spec.containers[0].readinessProbe;
      expect(probe).not.toHaveProperty('initialDelaySeconds');

      const before = kube.requests.length;
      expect(await runtime.apply([workload])).toEqual([{ ...ref, action: 'unchanged' }]);
      expect(patches(kube, before)).toEqual([]);
    } finally {
      await runtime.stop();
    }
  });
});
