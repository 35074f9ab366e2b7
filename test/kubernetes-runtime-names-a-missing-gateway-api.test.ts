import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKubernetesRuntime,
  type KubernetesRuntime,
} from '../core/runtime/kubernetes/index.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';

describe('a blue-green scope with a gateway, on a cluster without the Gateway API', () => {
  let server: KubeApiServer;
  let runtime: KubernetesRuntime;

  beforeAll(async () => {
    server = await startKubeApiServer();
    // A cluster without the Gateway API CRDs knows neither the group nor its resources.
    server.inject({ path: /^\/apis\/gateway\.networking\.k8s\.io/, status: 404, times: Infinity });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);
    runtime = createKubernetesRuntime({
      kubeConfig,
      retry: { attempts: 1, backoff: { baseMs: 10, maxMs: 10 } },
    });
    await runtime.start();
    await runtime.ensureNamespace('shop');
  });
  afterAll(async () => {
    await runtime?.stop();
    await server?.close();
  });

  it('says what is missing and what to do, and changes nothing else', async () => {
    const traffic = runtime.setTraffic(
      { name: 'prod', namespace: 'shop', port: 8080, instances: 2, gateway: 'infra/public' },
      [{ workload: 'd-prod-1', weight: 100 }],
    );
    await expect(traffic).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message:
        "scope 'prod' splits its traffic through gateway 'infra/public', but the cluster serves no Gateway API HTTPRoutes (gateway.networking.k8s.io/v1): install the Gateway API, or take the gateway off the scope to split traffic by replicas",
    });
  });
});
