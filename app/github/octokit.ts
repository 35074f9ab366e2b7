import { ProbotOctokit } from 'probot';

/** How long one request to GitHub may take before it is given up (and, by the outbox, retried). */
export const GITHUB_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Probot's Octokit as Slipway uses it: Octokit's own retry and throttling off (the outbox
 * retries, durably, and a webhook waits on GitHub only to ask who may have a pull request's
 * preview, for at most a few seconds), and a time limit on every request,
 * token requests included. Given as a function of the options, not as an object: Probot lays
 * its own options over ours, and an object's `throttle` would lose to Probot's (which spaces
 * writes a second apart).
 */
export function slipwayOctokit(timeoutMs = GITHUB_REQUEST_TIMEOUT_MS): typeof ProbotOctokit {
  const timedFetch = (url: string | URL | Request, init: RequestInit = {}) => {
    const limit = AbortSignal.timeout(timeoutMs);
    return fetch(url, {
      ...init,
      signal: init.signal ? AbortSignal.any([init.signal, limit]) : limit,
    });
  };
  return ProbotOctokit.defaults((options: Record<string, Record<string, unknown> | undefined>) => ({
    ...options,
    retry: { enabled: false },
    throttle: { ...options.throttle, enabled: false },
    request: { ...options.request, fetch: timedFetch },
  })) as typeof ProbotOctokit;
}
