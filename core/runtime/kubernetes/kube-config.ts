import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, SlipwayError } from '../../errors.js';

export interface KubeConfigSource {
  /** The kubeconfig file (KUBECONFIG); when absent, the in-cluster service account is used. */
  path?: string;
  /** Whether Slipway runs in a pod (the host checks KUBERNETES_SERVICE_HOST). */
  inCluster: boolean;
}

/**
 * Loads the cluster configuration explicitly: the given kubeconfig, or the in-cluster service
 * account. Never client-node's silent fallback to localhost:8080, which would turn a typo into a
 * deploy to whatever listens there.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const config = new KubeConfig();
  if (source.path) {
    if (!existsSync(source.path)) {
      throw new SlipwayError(
        'KUBE_UNAVAILABLE',
        `KUBECONFIG is "${source.path}", which does not exist; expected a kubeconfig file`,
      );
    }
    try {
      config.loadFromFile(source.path);
    } catch (error) {
      throw new SlipwayError(
        'KUBE_UNAVAILABLE',
        `KUBECONFIG is "${source.path}", which cannot be read as a kubeconfig: ${errorMessage(error)}`,
      );
    }
    if (!config.getCurrentCluster()) {
      throw new SlipwayError(
        'KUBE_UNAVAILABLE',
        `KUBECONFIG is "${source.path}", whose current context names no cluster; expected current-context to point at a cluster`,
      );
    }
    return config;
  }
  if (!source.inCluster) {
    throw new SlipwayError(
      'KUBE_UNAVAILABLE',
      'SLIPWAY_RUNTIME is "kubernetes" but KUBECONFIG is not set and Slipway is not running in a pod; expected KUBECONFIG to name a kubeconfig file',
    );
  }
  try {
    config.loadFromCluster();
  } catch (error) {
    throw new SlipwayError(
      'KUBE_UNAVAILABLE',
      `cannot load the in-cluster configuration: ${errorMessage(error)}`,
    );
  }
  return config;
}
