/** Stable error codes. A surface maps each to its HTTP status in one place. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'MANIFEST_INVALID'
  | 'PIPELINE_INVALID'
  | 'PATH_INVALID'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SOURCE_UNAVAILABLE'
  | 'RUNTIME_ERROR'
  | 'WORKLOAD_FAILED'
  | 'TIMEOUT'
  | 'STOPPED'
  | 'KUBE_UNAVAILABLE'
  | 'INTERNAL';

/** Where a problem was found: a file, the JSON path inside it, and the line. */
export interface Problem {
  file?: string;
  path?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface SlipwayErrorOptions {
  status?: number;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
  problems?: Problem[];
  hint?: string;
}

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  MANIFEST_INVALID: 400,
  PIPELINE_INVALID: 400,
  PATH_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SOURCE_UNAVAILABLE: 502,
  RUNTIME_ERROR: 502,
  WORKLOAD_FAILED: 500,
  TIMEOUT: 504,
  STOPPED: 409,
  KUBE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * The one error type `core/` throws. `code` is stable, `message` says what was wrong, the value
 * seen and what was expected; `retryable` tells the job queue whether another attempt may help.
 *
 * @example
 * throw new SlipwayError('NOT_FOUND', "workspace '42' does not exist");
 */
export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly problems: Problem[];
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlipwayError';
    this.code = code;
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    this.problems = options.problems ?? [];
    this.hint = options.hint;
  }
}

/** True when `error` is a SlipwayError, optionally with the given code. */
export function isSlipwayError(error: unknown, code?: ErrorCode): error is SlipwayError {
  return error instanceof SlipwayError && (code === undefined || error.code === code);
}

/** The message of any thrown value, for logs and job messages. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
