import type { Auth } from './authenticate.js';

const WINDOW_MS = 60 * 60 * 1000;

export interface RateLimitState {
  limit: number;
  remaining: number;
  reset: number;
  used: number;
}

/** The `x-ratelimit-*` headers GitHub sends with every REST answer. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.reset),
    'x-ratelimit-used': String(state.used),
    'x-ratelimit-resource': 'core',
  };
}

/** Hourly `core` budgets: 5000 for the App and each installation, 60 for anonymous callers. */
export class RateLimits {
  private readonly windows = new Map<string, { start: number; used: number }>();

  /** Counts one request of this caller (unless not `counted`) and answers its budget after it. */
  take(auth: Auth, counted = true): RateLimitState {
    const key =
      auth.kind === 'installation' ? `installation:${auth.grant?.installationId}` : auth.kind;
    const limit = auth.kind === 'none' || auth.kind === 'bad' ? 60 : 5000;
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    if (counted) window.used += 1;
    return {
      limit,
      remaining: Math.max(limit - window.used, 0),
      reset: Math.ceil((window.start + WINDOW_MS) / 1000),
      used: window.used,
    };
  }
}
