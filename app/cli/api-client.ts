import { notJsonMessage, type OutageOptions, tellOutages } from '../../core/jobs/index.js';
import { UsageError } from './parse-args.js';

/** The server answered with an error status: exit code 1, its message on stderr. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The server could not be reached at all: exit code 3. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  /** `reason`, then a hint at what to check. */
  constructor(readonly reason: string) {
    super(`${reason}; is the server running, and is SLIPWAY_URL right?`);
  }
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, the text when it is not JSON, or undefined when empty. */
  body: unknown;
}

export interface ApiClient {
  readonly url: string;
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      /** A list of values is sent as the parameter repeated (`?status=A&status=B`). */
      query?: Record<string, string | readonly string[]>;
      accept?: string;
    },
  ): Promise<ApiAnswer>;
  /**
   * A GET whose text answer is handed to `onText` as it comes (a followed log), for as long as
   * it flows; only its start is held to the time limit.
   */
  stream(
    path: string,
    query: Record<string, string>,
    onText: (text: string) => void | Promise<void>,
  ): Promise<void>;
}

export interface ApiClientOptions {
  /** Where the token came from (`--token`, `SLIPWAY_TOKEN`, a file), named when it is refused. */
  tokenSource?: string;
  /** How long a request may go unanswered, beyond what a long poll (`wait=S`) holds it. */
  requestTimeoutMs?: number;
  /** Aborted once the command is over: requests still in flight are dropped. */
  signal?: AbortSignal;
}

/** How long a request may go unanswered by default. */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The server's address as `--url` or `SLIPWAY_URL` gives it: http(s), with an optional path
 * prefix (behind a proxy, `https://host/slipway`) and no query or fragment, which would end up
 * in the middle of every request's path.
 */
export function serverUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.host === '') {
    throw new UsageError(
      `the server URL is "${text}"; expected http://host:port or https://host[/path]`,
    );
  }
  const extra = text.search(/[?#]/);
  if (extra !== -1) {
    throw new UsageError(
      `the server URL "${text}" has "${text.slice(extra)}" after its path; expected http://host:port or https://host[/path], without a query or fragment`,
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * A thin client of Slipway's REST API: bearer token, JSON in and out, and every error status
 * turned into an {@link ApiError} carrying the server's own message. A request the server does
 * not answer within its time limit fails as {@link UnreachableError}, as a server that is down.
 */
export function createApiClient(
  url: string,
  token: string | undefined,
  options: ApiClientOptions = {},
): ApiClient {
  const base = url.replace(/\/+$/, '');
  const limitMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  /** What a request that got no answer throws: the command's own stop, a timeout, no server. */
  const noAnswer = (
    error: unknown,
    timedOutAfterMs: number | undefined,
    method: string,
    path: string,
  ): unknown => {
    if (options.signal?.aborted) return options.signal.reason;
    if (timedOutAfterMs !== undefined) {
      return new UnreachableError(
        `Slipway at ${base} did not answer ${method} ${path} within ${timedOutAfterMs / 1000} s`,
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new UnreachableError(
      `cannot reach Slipway at ${base} (${cause?.code ?? cause?.message ?? String(error)})`,
    );
  };
  /** The error status `response` answered, with the server's own message. */
  const refusal = (response: Response, body: unknown, method: string, path: string) =>
    new ApiError(
      response.status,
      errorMessage(response, body, method, path, options.tokenSource),
      body,
    );
  return {
    url: base,
    async request(method, path, request = {}) {
      const target = new URL(`${base}${path}`);
      for (const [name, value] of Object.entries(request.query ?? {})) {
        for (const one of typeof value === 'string' ? [value] : value) {
          target.searchParams.append(name, one);
        }
      }
      const accept = request.accept ?? 'application/json';
      const headers: Record<string, string> = { Accept: accept };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (request.body !== undefined) headers['Content-Type'] = 'application/json';
      // A long poll is held by the server for `wait` seconds before it answers.
      const holdMs = Number(target.searchParams.get('wait') ?? 0) * 1000 || 0;
      const timeout = AbortSignal.timeout(limitMs + holdMs);
      const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
      let response: Response;
      let text: string;
      try {
        response = await fetch(target, {
          method,
          headers,
          signal,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        });
        text = await response.text();
      } catch (error) {
        throw noAnswer(error, timeout.aborted ? limitMs + holdMs : undefined, method, path);
      }
      const type = response.headers.get('content-type');
      const body = parseBody(text, type);
      if (!response.ok) throw refusal(response, body, method, path);
      if (accept === 'application/json' && typeof body === 'string') {
        throw new ApiError(
          response.status,
          notJsonMessage(
            `${method} ${path}`,
            { status: response.status, contentType: type, text: body },
            base,
          ),
          body,
        );
      }
      return { status: response.status, headers: response.headers, body };
    },

    async stream(path, query, onText) {
      const target = new URL(`${base}${path}`);
      for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value);
      const headers: Record<string, string> = { Accept: 'text/plain' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const started = new AbortController();
      const timer = setTimeout(() => started.abort(), limitMs);
      const signal = options.signal
        ? AbortSignal.any([started.signal, options.signal])
        : started.signal;
      let response: Response;
      try {
        response = await fetch(target, { headers, signal });
      } catch (error) {
        throw noAnswer(error, started.signal.aborted ? limitMs : undefined, 'GET', path);
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) {
        const body = parseBody(await response.text(), response.headers.get('content-type'));
        throw refusal(response, body, 'GET', path);
      }
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body ?? []) {
          // Awaited: a reader that takes its time holds the answer back, not memory.
          await onText(decoder.decode(chunk as Uint8Array, { stream: true }));
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        throw new UnreachableError(
          `Slipway at ${base} stopped sending GET ${path}: ${(error as Error).message}`,
        );
      }
      await onText(decoder.decode());
    },
  };
}

function parseBody(text: string, type: string | null): unknown {
  if (text === '') return undefined;
  if (type?.includes('json') && !type.includes('ndjson') && !type.includes('stream+json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function errorMessage(
  response: Response,
  body: unknown,
  method: string,
  path: string,
  tokenSource: string | undefined,
): string {
  const said =
    body && typeof body === 'object' && 'message' in body
      ? String((body as { message: unknown }).message)
      : typeof body === 'string' && body.trim() !== ''
        ? body.trim().slice(0, 500)
        : response.statusText;
  const problems =
    body && typeof body === 'object' && Array.isArray((body as { problems?: unknown }).problems)
      ? (body as { problems: unknown[] }).problems.map((p) => `\n  - ${describeProblem(p)}`)
      : [];
  const hint =
    response.status !== 401
      ? ''
      : tokenSource
        ? ` (the token from ${tokenSource} was refused; give a valid one)`
        : ' (no token was sent; set SLIPWAY_TOKEN or give --token)';
  return `${method} ${path} answered ${response.status}: ${said}${hint}${problems.join('')}`;
}

function describeProblem(problem: unknown): string {
  if (problem && typeof problem === 'object') {
    const { path, message } = problem as { path?: unknown; message?: unknown };
    if (message !== undefined)
      return path ? `${String(path)}: ${String(message)}` : String(message);
  }
  return JSON.stringify(problem);
}

/**
 * How a command that waits rides out a restart of the server (an upgrade, or a crash: Slipway
 * picks its jobs up again): refused connections and a proxy's 502, 503 or 504 are waited out,
 * and `note` hears when the outage begins and when it is over, then `what` goes on.
 */
export function waitOutRestarts(note: (text: string) => void, what: string): OutageOptions {
  return {
    transient: (error) =>
      error instanceof UnreachableError ||
      (error instanceof ApiError && [502, 503, 504].includes(error.status)),
    onOutage: tellOutages(note, what, (error) =>
      error instanceof UnreachableError ? error.reason : (error as Error).message,
    ),
  };
}
