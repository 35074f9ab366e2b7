import { describe, expect, it } from 'vitest';
import { classify } from '../app/github/outbox-sender.js';

/** An error as Octokit throws it for an answer GitHub gave. */
function answered(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), { status, response: { headers } });
}

describe('how long the outbox waits before sending a report again', () => {
  it('waits what retry-after says', () => {
    const failure = classify(
      answered(403, 'You have exceeded a secondary rate limit', { 'retry-after': '7' }),
    );
    expect(failure).toMatchObject({ retryable: true, status: 403, retryAfterMs: 7000 });
  });

  it('with no requests left, waits until the limit resets', () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    const failure = classify(
      answered(403, 'API rate limit exceeded for installation', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      }),
    );
    expect(failure.retryable).toBe(true);
    expect(failure.retryAfterMs).toBeGreaterThan(115_000);
    expect(failure.retryAfterMs).toBeLessThanOrEqual(120_100);
  });

  it('waits a minute after a secondary limit that names no time, whatever the reset says', () => {
    // GitHub sends x-ratelimit-reset on every answer; with requests left it says nothing of a
    // secondary limit, and may be most of an hour away.
    const failure = classify(
      answered(403, 'You have exceeded a secondary rate limit. Please wait a few minutes', {
        'x-ratelimit-remaining': '4000',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3000),
      }),
    );
    expect(failure).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
    expect(classify(answered(429, 'Too Many Requests'))).toMatchObject({
      retryable: true,
      retryAfterMs: 60_000,
    });
  });

  it('leaves other failures to the backoff, and does not retry what will not heal', () => {
    expect(classify(answered(502, 'Bad Gateway'))).toEqual({
      retryable: true,
      status: 502,
      message: 'Bad Gateway',
    });
    expect(classify(answered(403, 'Resource not accessible by integration'))).toMatchObject({
      retryable: false,
    });
    expect(classify(answered(422, 'Validation Failed')).retryable).toBe(false);
  });
});
