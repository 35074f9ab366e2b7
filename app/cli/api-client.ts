import { type OutageOptions, tellOutages } from '../../core/jobs/index.js';

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
    options?: { body?: unknown; query?: Record<string, string>; accept?: string },
  ): Promise<ApiAnswer>;
}

/**
 * A thin client of Slipway's REST API: bearer token, JSON in and out, and every error status
 * turned into an {@link ApiError} carrying the server's own message.
 */
export function createApiClient(url: string, token: string | undefined): ApiClient {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    async request(method, path, options = {}) {
      const target = new URL(`${base}${path}`);
      for (const [name, value] of Object.entries(options.query ?? {})) {
        target.searchParams.set(name, value);
      }
      const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(target, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new UnreachableError(
          `cannot reach Slipway at ${base} (${cause?.code ?? cause?.message ?? String(error)})`,
        );
      }
      const text = await response.text();
      const body = parseBody(text, response.headers.get('content-type'));
      if (!response.ok) {
        throw new ApiError(response.status, errorMessage(response, body, method, path), body);
      }
      return { status: response.status, headers: response.headers, body };
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

function errorMessage(response: Response, body: unknown, method: string, path: string): string {
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
  const hint = response.status === 401 ? ' (set SLIPWAY_TOKEN to a valid token)' : '';
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
