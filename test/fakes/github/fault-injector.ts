import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A fault to inject: the next `times` (default 1) requests matching `method` (default any) and
 * `path` (string prefix, or RegExp, of the path without `/api/v3`) get this answer instead.
 */
export interface GitHubFault {
  method?: string;
  path: string | RegExp;
  times?: number;
  /** Answer this status (500, 502, 503, ...) with GitHub's body for it. */
  status?: number;
  /** 403 secondary rate limit with `retry-after: 1`. */
  secondaryRateLimit?: true;
  /** 403 primary rate limit: `x-ratelimit-remaining: 0`, reset one second from now. */
  rateLimit?: true;
  /** Answer (normally, or with the fault) this much later. */
  delayMs?: number;
  /** Hold the request until `releaseHeld()`; then answer it normally (or with the fault). */
  hold?: true;
}

interface ActiveFault {
  fault: GitHubFault;
  remaining: number;
}

function matches(fault: GitHubFault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  return fault.path instanceof RegExp ? fault.path.test(path) : path.startsWith(fault.path);
}

/** Faults injected by tests, each consumed by the requests it matches (first injected first). */
export class FaultInjector {
  private active: ActiveFault[] = [];
  private held: Array<() => void> = [];

  inject(fault: GitHubFault): void {
    this.active.push({ fault, remaining: fault.times ?? 1 });
  }

  /** The fault this request meets, consumed; undefined when none matches. */
  take(method: string, path: string): GitHubFault | undefined {
    const entry = this.active.find((e) => matches(e.fault, method, path));
    if (!entry) return undefined;
    entry.remaining -= 1;
    this.active = this.active.filter((e) => e.remaining > 0);
    return entry.fault;
  }

  /** Waits out the fault's hold and delay. */
  async wait(fault: GitHubFault): Promise<void> {
    if (fault.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (fault.delayMs) await sleep(fault.delayMs);
  }

  /** Lets every held request go on, in arrival order; answers how many there were. */
  releaseHeld(): number {
    const held = this.held;
    this.held = [];
    for (const release of held) release();
    return held.length;
  }
}
