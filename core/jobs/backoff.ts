export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000 };

/**
 * Capped exponential backoff with ±20 % jitter, so retries of many jobs do not hit a recovering
 * server in step.
 *
 * @example
 * backoffDelay(0, { baseMs: 1000, maxMs: 60_000 }) // ~1 s
 * backoffDelay(3, { baseMs: 1000, maxMs: 60_000 }) // ~8 s
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = policy.baseMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(exponential, policy.maxMs);
  const jitter = 1 + (random() * 2 - 1) * 0.2;
  return Math.round(Math.min(capped * jitter, policy.maxMs));
}
