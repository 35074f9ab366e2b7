import type { LogLine } from '../types.js';

/**
 * The output of one revision of a workload: the last `capacity` lines, addressed by a running
 * index so a reader that pauses misses nothing still kept, with waiters for what comes next.
 * `close()` marks the end of the output (job finished, workload replaced, deleted or stopped).
 *
 * A process hands over its output a pipe's read at a time (64 KB, thousands of short lines at
 * once): the buffer is trimmed back to `capacity` only after the readers woken by those lines
 * had their turn, so a reader that keeps up sees every line, however fast they come.
 */
export class LogBuffer {
  private lines: LogLine[] = [];
  private dropped = 0;
  private waiters = new Set<() => void>();
  private closedFlag = false;
  private trimming: NodeJS.Immediate | undefined;

  constructor(private readonly capacity: number) {}

  push(line: LogLine): void {
    if (this.closedFlag) return;
    this.lines.push(line);
    if (this.lines.length > this.capacity && !this.trimming) {
      // Readers resume in microtasks, which run before the next I/O callback and this.
      this.trimming = setImmediate(() => this.trim());
      this.trimming.unref();
    }
    this.wake();
  }

  private trim(): void {
    this.trimming = undefined;
    const excess = this.lines.length - this.capacity;
    if (excess <= 0) return;
    this.lines = this.lines.slice(excess);
    this.dropped += excess;
  }

  /** Index of the oldest line still kept. */
  get start(): number {
    return this.dropped;
  }

  /** Index one past the newest line. */
  get end(): number {
    return this.dropped + this.lines.length;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Lines from `index` on (from the oldest kept when `index` was dropped already). */
  from(index: number): LogLine[] {
    return this.lines.slice(Math.max(index - this.dropped, 0));
  }

  close(): void {
    this.closedFlag = true;
    this.wake();
  }

  /** Resolves on the next line, on `wake()`/`close()`, or when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.closedFlag || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Lets every waiter look again (a run ended without writing another line). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const waiter of waiters) waiter();
  }
}
