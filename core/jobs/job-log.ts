import { isSlipwayError } from '../errors.js';
import type { NewLogLine, Store } from '../store/types.js';
import { type Clock, isoTime, type Logger } from '../types.js';

/** Lines are written in batches: at most this many wait in memory... */
const MAX_PENDING = 256;
/** ...for at most this long. */
const FLUSH_DELAY_MS = 50;

/**
 * A job's log as its handler writes it: lines are numbered by the store in the order they were
 * written and flushed in small batches, so a chatty process costs one SQLite transaction per
 * batch rather than one per line. `flush()` before the job's status changes, so a reader who
 * sees the final status also sees every line.
 */
export class JobLog {
  private pending: NewLogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Lines the store refused (a full disk), said in the log once it takes lines again. */
  private lost = 0;
  private lostReason = '';

  constructor(
    private readonly store: Store,
    private readonly jobId: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Appends one line (a multi-line string becomes several lines). */
  write(text: string): void {
    if (this.closed) return;
    const time = isoTime(this.clock.now());
    for (const line of text.split(/\r?\n/)) this.pending.push({ time, line });
    if (this.pending.length >= MAX_PENDING) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what is pending now. */
  flush(): void {
    this.append(this.take());
  }

  /**
   * Hands over what is pending, for a caller that writes it with `append` in a transaction of
   * its own (and may have to run that transaction again). `restore` puts the lines back when
   * that transaction failed.
   */
  take(): NewLogLine[] {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const lines = this.pending;
    this.pending = [];
    return lines;
  }

  restore(lines: NewLogLine[]): void {
    this.pending = [...lines, ...this.pending];
  }

  /** Writes `lines` (from `take`) now. */
  append(lines: NewLogLine[]): void {
    if (lines.length === 0) return;
    // A log that lost lines says so where they were, rather than only looking whole.
    const said = this.unwritten();
    const gap: NewLogLine[] = said
      ? [{ time: lines[0]?.time ?? isoTime(this.clock.now()), line: said }]
      : [];
    try {
      this.store.appendJobLogs(this.jobId, [...gap, ...lines]);
      this.lost = 0;
    } catch (error) {
      // The job may have been deleted while its handler was winding down; its log goes with it.
      if (isSlipwayError(error) && error.code === 'NOT_FOUND') return;
      this.lost += lines.length;
      this.lostReason = (error as Error).message;
      this.logger.warn({ err: error, jobId: this.jobId }, 'could not write job log lines');
    }
  }

  /** What the log could not be told (a full disk) and has not said since; undefined when whole. */
  unwritten(): string | undefined {
    return this.lost > 0
      ? `(${this.lost} line(s) could not be written here: ${this.lostReason})`
      : undefined;
  }

  /** Flushes and drops every later write. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
