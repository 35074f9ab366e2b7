import type { LogLine } from '../types.js';

/**
 * The output of one revision of a workload: the last `capacity` lines, numbered, with waiters
 * for new ones. `close()` marks the run finished; followers drain what is left and stop.
 */
export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private dropped = 0;
  private waiters = new Set<() => void>();
  private closedFlag = false;

  constructor(private readonly capacity: number) {}

  push(line: LogLine): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) {
      this.lines.shift();
      this.dropped += 1;
    }
    this.notify();
  }

  /** Index one past the newest line. */
  get end(): number {
    return this.dropped + this.lines.length;
  }

  /** Index of the oldest line still kept. */
  get start(): number {
    return this.dropped;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Lines from `index` on (clamped to what is still kept). */
  from(index: number): LogLine[] {
    return this.lines.slice(Math.max(index - this.dropped, 0));
  }

  /** The last `count` lines. */
  tail(count: number): LogLine[] {
    return this.lines.slice(-count);
  }

  close(): void {
    this.closedFlag = true;
    this.notify();
  }

  /** Reopens a buffer for another run (a cron job's next firing). */
  reopen(): void {
    this.closedFlag = false;
  }

  /** Resolves on the next line, on close, or when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
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

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const waiter of waiters) waiter();
  }
}

/**
 * Splits a stream's chunks into lines: a partial line waits for the rest, and `flush()` emits a
 * last line that had no newline.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.emit(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  flush(): void {
    if (this.partial) this.emit(this.partial);
    this.partial = '';
  }
}
