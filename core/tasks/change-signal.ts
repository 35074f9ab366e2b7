import type { Runtime } from '../runtime/types.js';

/**
 * When a wait for workloads (a deploy's health, a release's instances) looks at them again: as
 * soon as the runtime says something changed, or after `pollMs` when it says nothing. Looks cost
 * CPU (500 workloads judged from the watch caches), so after one that took `t`, the next waits
 * at least `4t`: looking stays under a fifth of the time however busy the watches are.
 *
 * @example
 * const changes = new ChangeSignal(runtime, 250);
 * try {
 *   while ((await changes.measure(() => runtime.status(ref))).health !== 'healthy')
 *     await changes.next(signal);
 * } finally {
 *   changes.stop();
 * }
 */
export class ChangeSignal {
  private changed = false;
  private wake: (() => void) | undefined;
  private lastLookMs = 0;
  private readonly unsubscribe: () => void;

  constructor(
    runtime: Runtime,
    private readonly pollMs: number,
  ) {
    this.unsubscribe = runtime.onChange(() => {
      this.changed = true;
      this.wake?.();
    });
  }

  /** Runs one look, timing it; what changed before it started is seen by it. */
  async measure<T>(look: () => Promise<T>): Promise<T> {
    this.changed = false;
    const started = performance.now();
    try {
      return await look();
    } finally {
      this.lastLookMs = performance.now() - started;
    }
  }

  /** Resolves on the next change (or `pollMs`, or the abort), no sooner than 4 looks' time. */
  async next(signal: AbortSignal): Promise<void> {
    const gap = Math.min(4 * this.lastLookMs, this.pollMs);
    if (gap >= 1) await pause(gap, signal);
    if (this.changed || signal.aborted) return;
    await pause(this.pollMs - gap, signal, (done) => {
      this.wake = done;
    });
    this.wake = undefined;
  }

  stop(): void {
    this.unsubscribe();
    this.wake?.();
  }
}

/** Waits `ms`, or until `signal` aborts, or until the function handed to `wakeable` is called. */
function pause(
  ms: number,
  signal: AbortSignal,
  wakeable?: (wake: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wakeable?.(done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
