import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isSlipwayError, type Problem } from '../../core/errors.js';
import type { Logger } from '../../core/types.js';
import { redactPath } from './redact-path.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The standard reason phrase of a status. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** What an error means over HTTP: its status, the message a client may see, and problems. */
export interface HttpFailure {
  status: ContentfulStatusCode;
  message: string;
  problems: Problem[];
}

/**
 * Maps any thrown value to an HTTP failure. Domain errors keep their status and message; an
 * unexpected error is a 500 whose details stay in the server log, never in the response.
 */
export function toHttpFailure(error: unknown, logger: Logger, c: Context): HttpFailure {
  if (isSlipwayError(error)) {
    if (error.status >= 500)
      logger.error({ err: error, path: redactPath(c.req.path) }, error.message);
    // RFC 9110: a 401 says how to authenticate.
    if (error.code === 'UNAUTHENTICATED') c.header('WWW-Authenticate', 'Bearer realm="slipway"');
    return {
      status: error.status as ContentfulStatusCode,
      message: error.message,
      problems: error.problems,
    };
  }
  if (error instanceof HTTPException) {
    return {
      status: error.status as ContentfulStatusCode,
      message: error.message || reasonPhrase(error.status),
      problems: [],
    };
  }
  if (diskFull(error)) {
    logger.error({ err: error, path: redactPath(c.req.path) }, 'the data disk is full');
    return {
      status: 503,
      message:
        "Slipway's data disk is full, so nothing was stored: free space where SLIPWAY_DATA_DIR is, then try again",
      problems: [],
    };
  }
  logger.error(
    { err: error, path: redactPath(c.req.path), method: c.req.method },
    'unexpected error',
  );
  return { status: 500, message: 'internal error; see the server log', problems: [] };
}

/**
 * Spring Boot's error body, which Matatika clients expect (DESIGN.md section 7.1):
 * `{timestamp, status, error, message, path}`; invalid units add `problems`.
 */
export function springError(c: Context, failure: HttpFailure): Response {
  return c.json(
    {
      timestamp: new Date().toISOString(),
      status: failure.status,
      error: reasonPhrase(failure.status),
      message: failure.message,
      path: c.req.path,
      ...(failure.problems.length > 0 ? { problems: failure.problems } : {}),
    },
    failure.status,
  );
}

/** `onError` for a sub-app that answers in Spring's shape. */
export function springErrorHandler(logger: Logger): ErrorHandler {
  return (error, c) => springError(c, toHttpFailure(error, logger, c));
}

/** SQLite's "database or disk is full", or a write the file system refused for want of room. */
function diskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}
