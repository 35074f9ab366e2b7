import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
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
  const config = new KeepAliveKubeConfig();
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
      // An empty or non-YAML-object file makes client-node fail on its own internals
      // ("reading 'clusters'"): say what the file should be instead.
      // A YAML error quotes the file around the fault over several lines: the first one says it.
      const reason =
        error instanceof TypeError
          ? 'it holds no kubeconfig'
          : (errorMessage(error).split('\n')[0] ?? '').trim();
      throw new SlipwayError(
        'KUBE_UNAVAILABLE',
        `KUBECONFIG is "${source.path}", which cannot be read as a kubeconfig (${reason}); expected a YAML file with clusters, users, contexts and a current-context`,
      );
    }
    if (!config.getCurrentCluster()) {
      const current = config.getCurrentContext();
      const context = config.getContextObject(current);
      const why = !current
        ? 'which sets no current-context'
        : !context
          ? `whose current-context "${current}" is not one of its contexts (${config.contexts.map((c) => c.name).join(', ') || 'none'})`
          : `whose current-context "${current}" names the cluster "${context.cluster}", which it does not define`;
      throw new SlipwayError(
        'KUBE_UNAVAILABLE',
        `KUBECONFIG is "${source.path}", ${why}; expected current-context to point at a context and its cluster`,
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

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose API calls share keep-alive connections. client-node makes a new agent, so
 * a new TCP and TLS handshake, for every request; a 500-task deploy then spends most of its
 * time shaking hands. Agents are shared per TLS identity (CA, client certificate and key,
 * server name), so a rotated certificate still gets a fresh connection.
 */
class KeepAliveKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, http.Agent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!made || made.constructor !== (made instanceof https.Agent ? https.Agent : http.Agent))
      return;
    const options = (made as https.Agent).options ?? {};
    const key = [
      made instanceof https.Agent ? 'https' : 'http',
      ...[options.ca, options.cert, options.key, options.pfx, options.passphrase].map((v) =>
        v === undefined ? '' : String(v),
      ),
      String(options.rejectUnauthorized),
      String(options.servername),
    ].join('\u0000');
    let shared = this.agents.get(key);
    if (!shared) {
      const keepAlive = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
      shared =
        made instanceof https.Agent
          ? new https.Agent({ ...options, ...keepAlive })
          : new http.Agent({ ...keepAlive });
      this.agents.set(key, shared);
    }
    made.destroy();
    context.setAgent(shared);
  }
}
