import { ApiException } from '@kubernetes/client-node';
import { errorMessage, SlipwayError } from '../../errors.js';
import { type BackoffPolicy, backoffDelay } from '../../jobs/backoff.js';
import { isTimeout } from './request-time-limit.js';

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

const NETWORK_CODES =
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|socket hang up|other side closed|network|fetch failed/i;

/** The HTTP status of a client-node error, or undefined for a network failure. */
export function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code =
    (error as { code?: unknown; statusCode?: unknown }).statusCode ??
    (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Whether another attempt may help: 5xx, 429, 409 on update, timeouts, dropped connections. */
export function isTransient(error: unknown): boolean {
  const code = statusCode(error);
  if (code !== undefined) return code >= 500 || code === 429 || code === 409;
  if (isTimeout(error)) return true;
  return (
    NETWORK_CODES.test(errorMessage(error)) ||
    NETWORK_CODES.test(String((error as { code?: unknown }).code ?? ''))
  );
}

function statusBody(error: unknown): StatusBody {
  if (!(error instanceof ApiException)) return {};
  const body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as StatusBody;
}

/**
 * Turns a client-node failure into a SlipwayError once, here in the adapter: 404 NOT_FOUND,
 * 409 CONFLICT, 403 FORBIDDEN with a hint about RBAC, 422 BAD_REQUEST naming the field, network
 * and 5xx KUBE_UNAVAILABLE (retryable). `what` says what was being done ("apply Job demo/hello").
 */
export function toSlipwayError(
  error: unknown,
  what: string,
  requestTimeoutMs?: number,
): SlipwayError {
  if (error instanceof SlipwayError) return error;
  if (isTimeout(error)) {
    const limit = requestTimeoutMs ? ` within ${requestTimeoutMs / 1000} s` : ' in time';
    return new SlipwayError(
      'KUBE_UNAVAILABLE',
      `${what}: the API server did not answer${limit} (request time limit)`,
      {
        cause: error,
        retryable: true,
        hint: 'is the API server of the kubeconfig overloaded, or a proxy in front of it holding requests?',
      },
    );
  }
  const code = statusCode(error);
  const body = statusBody(error);
  const message = body.message ?? errorMessage(error);
  if (code === 404) return new SlipwayError('NOT_FOUND', `${what}: ${message}`, { cause: error });
  if (code === 409)
    return new SlipwayError('CONFLICT', `${what}: ${message}`, { cause: error, retryable: true });
  if (code === 401) {
    return new SlipwayError(
      'KUBE_UNAVAILABLE',
      `${what}: the cluster refused our credentials (401): ${message}`,
      {
        cause: error,
        hint: 'check the user and token of the kubeconfig (KUBECONFIG) Slipway runs with',
      },
    );
  }
  if (code === 403) {
    return new SlipwayError('FORBIDDEN', `${what}: ${message}`, {
      cause: error,
      hint: 'Slipway\'s service account lacks a permission: apply deploy/rbac.yaml (see the README, "Running against a cluster")',
    });
  }
  if (code === 422 || code === 400) {
    const causes = (body.details?.causes ?? []).map(
      (c) => `${c.field ?? '?'}: ${c.message ?? c.reason ?? ''}`,
    );
    const detail = causes.length > 0 ? ` (${causes.join('; ')})` : '';
    return new SlipwayError('BAD_REQUEST', `${what}: ${message}${detail}`, {
      cause: error,
      details: { causes: body.details?.causes ?? [] },
    });
  }
  const transient = isTransient(error);
  return new SlipwayError(
    transient ? 'KUBE_UNAVAILABLE' : 'RUNTIME_ERROR',
    `${what}: ${code ? `${code} ` : ''}${message}`,
    {
      cause: error,
      retryable: transient,
      ...(code === undefined
        ? { hint: 'is the API server of the kubeconfig reachable from here?' }
        : {}),
    },
  );
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  backoff: BackoffPolicy;
  signal?: AbortSignal;
  /** Told of every failed attempt (metrics count them), retried or not. */
  onError?: (what: string, error: unknown) => void;
  /** The time limit of one request, for the message when it runs out. */
  requestTimeoutMs?: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, backoff: { baseMs: 200, maxMs: 5000 } };

/**
 * Runs an API call, retrying transient failures with capped backoff (a 429's Retry-After is
 * honoured); the last failure, or a lasting one, comes back as a SlipwayError.
 */
export async function withRetries<T>(
  what: string,
  call: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      options.onError?.(what, error);
      if (!isTransient(error) || attempt + 1 >= options.attempts || options.signal?.aborted) {
        throw toSlipwayError(error, what, options.requestTimeoutMs);
      }
      await sleep(retryAfterMs(error) ?? backoffDelay(attempt, options.backoff), options.signal);
    }
  }
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const header = error.headers?.['retry-after'] ?? error.headers?.['Retry-After'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(seconds) ? Math.min(seconds * 1000, 30_000) : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
