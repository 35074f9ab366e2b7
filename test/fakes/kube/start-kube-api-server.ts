import { randomBytes } from 'node:crypto';
import { bootstrapObjects } from './bootstrap-objects.js';
import {
  type ControllerOptions,
  DEFAULT_CONTROLLER_OPTIONS,
  startController,
} from './controller.js';
import { type Fault, FaultInjector } from './fault-injector.js';
import { createRequestHandler, type RecordedRequest } from './handle-request.js';
import type { KubeObject } from './kube-object.js';
import { listenHttpAndHttps } from './listen-http-and-https.js';
import { ObjectStore } from './object-store.js';
import { PodLogBook } from './pod-log-book.js';
import type { ServerState } from './server-state.js';
import { writeKubeconfig } from './write-kubeconfig.js';

export interface KubeApiServerOptions {
  /** Bearer token clients must send (401 Status otherwise). Default: a random one. */
  token?: string;
  controller?: Partial<ControllerOptions>;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` (the same port also speaks HTTPS, which the kubeconfig uses). */
  url: string;
  token: string;
  /**
   * Absolute path of a kubeconfig file (in a temp dir) for this server: cluster, user with the
   * token, context, current-context. Its server is `https://127.0.0.1:<port>` with the server's
   * self-signed certificate as certificate-authority-data, because kubectl sends tokens only
   * over TLS.
   */
  kubeconfigPath: string;
  /** Stored objects of a resource (plural, e.g. 'jobs', 'pods', 'namespaces'), optionally in one namespace; deep copies. */
  objects<T extends object = KubeObject>(plural: string, namespace?: string): T[];
  /** Every request received: method, path, query (URLSearchParams as object), content type, and the status answered. */
  requests: RecordedRequest[];
  /**
   * Fault injection: matching requests (method and a path regexp or substring of the URL path)
   * fail with `status` (a proper Status body; 429 with Retry-After), or are delayed by `delayMs`,
   * `times` times (default 1; Infinity allowed). `dropWatch: true` makes open/next matching watch
   * streams end abruptly (as when a connection drops).
   */
  inject(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/**
 * Starts a Kubernetes API test server on 127.0.0.1 (a free port): real REST paths, discovery,
 * Status errors, server-side apply, watches, pod logs, and a small control plane (Jobs,
 * Deployments, a kubelet) driven by KUBE_FAKE_* container env (see `fake-env.ts`).
 *
 * @example
 * const server = await startKubeApiServer({ controller: { jobDurationMs: 10 } });
 * const kc = new KubeConfig();
 * kc.loadFromFile(server.kubeconfigPath);
 * // ... kc.makeApiClient(BatchV1Api) ...
 * await server.close();
 */
export async function startKubeApiServer(
  options: KubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const state: ServerState = {
    store: new ObjectStore(),
    faults: new FaultInjector(),
    logs: new PodLogBook(),
    streams: new Set(),
  };
  bootstrapObjects(state.store);
  const controller = startController(state.store, state.logs, {
    ...DEFAULT_CONTROLLER_OPTIONS,
    ...options.controller,
  });
  const requests: RecordedRequest[] = [];
  const listener = await listenHttpAndHttps(createRequestHandler(state, token, requests));
  const url = `http://127.0.0.1:${listener.port}`;
  const kubeconfig = writeKubeconfig(
    `https://127.0.0.1:${listener.port}`,
    token,
    listener.certificate,
  );
  let closed: Promise<void> | undefined;
  return {
    url,
    token,
    kubeconfigPath: kubeconfig.path,
    objects<T extends object = KubeObject>(plural: string, namespace?: string): T[] {
      return state.store.list(plural, namespace) as unknown as T[];
    },
    requests,
    inject: (fault) => state.faults.inject(fault),
    clearFaults: () => state.faults.clear(),
    close() {
      closed ??= (async () => {
        controller.stop();
        for (const stop of [...state.streams]) stop();
        await listener.close();
        kubeconfig.remove();
      })();
      return closed;
    },
  };
}
