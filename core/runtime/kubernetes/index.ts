import { KubernetesRuntime, type KubernetesRuntimeOptions } from './kubernetes-runtime.js';

export { DEFAULT_RETRY, type RetryOptions } from './api-errors.js';
export { findDrift, sameContent } from './find-drift.js';
export { judgeCronJob, judgeDeployment, judgeJob } from './judge-health.js';
export { type KubeConfigSource, loadKubeConfig } from './kube-config.js';
export { KubernetesRuntime, type KubernetesRuntimeOptions } from './kubernetes-runtime.js';
export {
  KIND_LABEL,
  kubernetesProblem,
  renderObjects,
  SPEC_HASH_ANNOTATION,
} from './render-objects.js';

/**
 * The Kubernetes runtime.
 *
 * @example
 * const runtime = createKubernetesRuntime({ kubeConfig: loadKubeConfig({ path: env.KUBECONFIG, inCluster }) });
 */
export function createKubernetesRuntime(options: KubernetesRuntimeOptions): KubernetesRuntime {
  return new KubernetesRuntime(options);
}
