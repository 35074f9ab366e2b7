/**
 * The Kubernetes API test server (DESIGN.md section 11, issue 3): a fake kube-apiserver that
 * speaks Kubernetes REST over HTTP and HTTPS on one loopback port, for testing Slipway's
 * Kubernetes runtime through @kubernetes/client-node and kubectl.
 *
 * Conventions worth knowing when writing tests against it:
 * - `kubeconfigPath` points at `https://127.0.0.1:<port>` with the server's self-signed CA
 *   (kubectl sends bearer tokens only over TLS); `url` is the plain-HTTP address of the same port.
 * - A fresh server holds what a fresh cluster holds: namespaces default, kube-system,
 *   kube-public and kube-node-lease, a node `kube-fake-node`, the `default/kubernetes` Service,
 *   and in every namespace a `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap.
 * - Containers behave by their env (see `fake-env.ts`): KUBE_FAKE_EXIT_CODE (default 0),
 *   KUBE_FAKE_DURATION_MS (default: jobDurationMs for Job pods, forever for others),
 *   KUBE_FAKE_LOGS (newline-separated lines, written when the container starts),
 *   KUBE_FAKE_READY=false (never Ready), KUBE_FAKE_CRASH=true (CrashLoopBackOff, backing off
 *   10 s, 20 s ... 5 min), KUBE_FAKE_PULL=fail (ErrImagePull, then ImagePullBackOff).
 * - A kubelet's seconds last `secondMs` real milliseconds (default 1): readiness after a probe's
 *   initialDelaySeconds + periodSeconds, crash back-off, and the grace of a deleted pod.
 * - Deployments run through ReplicaSets (`<deployment>-<10 hex>`, pods
 *   `<deployment>-<10 hex>-<5 chars>`); Job pods are `<job>-<5 chars>` and carry the
 *   job-tracking finalizer until counted. Running pods delete gracefully (Terminating for their
 *   terminationGracePeriodSeconds, then killed with 137), the garbage collector runs after
 *   `gcDelayMs`, namespaces terminate asynchronously, and a Job deleted without
 *   propagationPolicy orphans its pods, as batch/v1 does.
 * - Only `--validate=false` lets kubectl apply: the server has no OpenAPI documents (404).
 */
export type { ControllerOptions } from './controller.js';
export type { FakeBehaviour } from './fake-env.js';
export type { Fault } from './fault-injector.js';
export type { RecordedRequest } from './handle-request.js';
export { failureOf, type KubeClients, kubeClients } from './kube-clients.js';
export type {
  JsonObject,
  JsonValue,
  KubeObject,
  ManagedFieldsEntry,
  ObjectMeta,
  OwnerReference,
} from './kube-object.js';
export {
  type KubeApiServer,
  type KubeApiServerOptions,
  startKubeApiServer,
} from './start-kube-api-server.js';
export type { Status, StatusCause, StatusDetails } from './status-error.js';
