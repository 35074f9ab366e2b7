import { type OutageOptions, tellOutages } from '../core/jobs/outage-watch.js';

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

/** Slipway's REST API with a bearer token; every error status becomes a RemoteError. */
export class RemoteClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; accept?: string } = {},
  ): Promise<Answer> {
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
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      throw new RemoteError(`cannot reach Slipway at ${this.url} (${cause})`, 0);
    }
    const text = await response.text();
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
    return { status: response.status, headers: response.headers, body };
  }
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
