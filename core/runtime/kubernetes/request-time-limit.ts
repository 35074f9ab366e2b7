import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** How long one API request (not a watch or a log stream) may take; default of the runtime. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The same cluster configuration, whose API clients give up on a request that has not been
 * answered within `timeoutMs`: client-node sets no limit, so an API server (or a proxy in front
 * of it) that accepts a request and never answers would hold the deploy waiting on it for good.
 * Watches and log streams are made from the original configuration and keep no limit.
 *
 * The limit is an abort signal on every request made through `makeApiClient`; client-node hands
 * it to fetch, which ends the request and rejects with an `AbortError` (see `isTimeout`).
 *
 * @example
 * const core = limitRequestTime(kubeConfig, 30_000).makeApiClient(CoreV1Api);
 */
export function limitRequestTime(kubeConfig: KubeConfig, timeoutMs: number): KubeConfig {
  // Everything else (clusters, users, makeApiClient) is the original's; only the step every
  // request passes through is wrapped, and `makeApiClient` makes this object that step.
  const limited = Object.create(kubeConfig) as KubeConfig;
  limited.applySecurityAuthentication = async (context: RequestContext) => {
    await kubeConfig.applySecurityAuthentication(context);
    const limit = AbortSignal.timeout(timeoutMs);
    const given = context.getSignal();
    context.setSignal(given ? AbortSignal.any([given, limit]) : limit);
  };
  return limited;
}

/** Whether an API call failed because its request time limit ran out (fetch's AbortError). */
export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const type = (error as { type?: unknown } | null)?.type;
  return name === 'AbortError' || name === 'TimeoutError' || type === 'aborted';
}
