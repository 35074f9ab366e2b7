import { type OutageOptions, tellOutages } from '../core/jobs/outage-watch.js';
import { notJsonMessage } from '../core/jobs/rest-job-source.js';

/** A call to the Slipway server that failed: the step fails with the server's own message. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON is read field by field
  body: any;
}

/** The longest an ordinary request may take; one the server holds (`hold`) gets that much more. */
const REQUEST_LIMIT_MS = 30_000;

export interface RequestOptions {
  body?: unknown;
  accept?: string;
  /** Seconds the server may hold the request (`wait=S`): the time limit grows by as much. */
  holdSeconds?: number;
  /** Aborts the request (the step stopped waiting). */
  signal?: AbortSignal;
  /** Epoch ms at which the request is cut, if unanswered; default the client's `until`. */
  until?: number;
}

/**
 * Slipway's REST API with a bearer token; every error status becomes a RemoteError, and so
 * does a request that is not answered in time (30 s, plus what the server may hold it), as a
 * server that cannot be reached (status 0).
 */
export class RemoteClient {
  /** `until`: epoch ms, the step's timeout: no request is waited on past it (unless told). */
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly until = Number.POSITIVE_INFINITY,
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const until = options.until ?? this.until;
    let limit = REQUEST_LIMIT_MS + (options.holdSeconds ?? 0) * 1000;
    const cutAtTimeout = until - Date.now() < limit;
    if (cutAtTimeout) limit = Math.max(until - Date.now(), 0);
    const expired = AbortSignal.timeout(limit);
    const signal = options.signal ? AbortSignal.any([expired, options.signal]) : expired;
    const unanswered = () =>
      new RemoteError(
        `Slipway at ${this.url} did not answer ${method} ${path.split('?')[0]} within ${
          cutAtTimeout ? 'the timeout' : `${Math.round(limit / 1000)} s`
        }: the server is stalled or overloaded`,
        0,
      );
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: options.accept ?? 'application/json',
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal,
      });
    } catch (error) {
      if (expired.aborted) throw unanswered();
      if (options.signal?.aborted) throw error;
      throw new RemoteError(`cannot reach Slipway at ${this.url} (${why(error)})`, 0);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (expired.aborted) throw unanswered();
      throw error;
    }
    let body: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) {
      const said =
        body && typeof body === 'object' && 'message' in body
          ? String((body as { message: unknown }).message)
          : String(text).slice(0, 300) || response.statusText;
      throw new RemoteError(
        `${method} ${path} answered ${response.status}: ${said}`,
        response.status,
      );
    }
    const accept = options.accept ?? 'application/json';
    if (accept === 'application/json' && typeof body === 'string' && response.status !== 204) {
      const answer = {
        status: response.status,
        contentType: response.headers.get('content-type'),
        text,
      };
      throw new RemoteError(
        notJsonMessage(`${method} ${path.split('?')[0]}`, answer, this.url),
        response.status,
      );
    }
    return { status: response.status, headers: response.headers, body };
  }
}

/**
 * Why fetch failed, from its cause: `connect ECONNREFUSED 127.0.0.1:8080`, `getaddrinfo
 * ENOTFOUND slipway.example`, `bad port` (a port fetch refuses, such as 1).
 */
function why(error: unknown): string {
  const reasons: string[] = [];
  const say = (e: unknown) => {
    const { code, message } = (e ?? {}) as { code?: string; message?: string };
    reasons.push(
      code && !message?.includes(code)
        ? `${code}${message ? `: ${message}` : ''}`
        : (message ?? ''),
    );
  };
  // A cause may have a cause, or be an AggregateError (every address a name resolved to).
  for (let at = (error as { cause?: unknown }).cause; at; at = (at as { cause?: unknown }).cause) {
    const errors = (at as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) errors.forEach(say);
    else say(at);
  }
  return [...new Set(reasons.filter(Boolean))].join('; ') || String(error);
}

/**
 * How a step that waits rides out a restart of the server (an upgrade rolling out while the
 * workflow waits, or a crash: Slipway picks its jobs up again): no connection, or a proxy's
 * 502, 503 or 504, is waited out, and `info` hears when the outage begins and when it is over,
 * then `what` goes on.
 */
export function waitOutRestarts(info: (line: string) => void, what: string): OutageOptions {
  return {
    transient: (error) => error instanceof RemoteError && [0, 502, 503, 504].includes(error.status),
    onOutage: tellOutages(info, what),
  };
}
