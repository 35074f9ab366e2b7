import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import type { KubeApiServer } from './start-kube-api-server.js';
import type { Status } from './status-error.js';

/** @kubernetes/client-node clients for a test server, loaded from its kubeconfig as Slipway loads one. */
export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function kubeClients(server: KubeApiServer): KubeClients {
  const kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/**
 * The Status a failed client call answered: awaits `call`, expects an ApiException, and parses
 * its body (a JSON string from the typed APIs, an object from KubernetesObjectApi).
 */
export async function failureOf(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = error.body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as Status;
    if (status.code !== error.code)
      throw new Error(`Status code ${status.code} differs from HTTP ${error.code}`);
    return status;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
