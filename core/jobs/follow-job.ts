import { TERMINAL_JOB_STATUSES } from '../types.js';
import { type OutageOptions, OutageWatch } from './outage-watch.js';

/** A job as a client reads it: from a server's REST API, or from an engine in the same process. */
export interface JobView {
  id: string;
  type: string;
  status: string;
  message?: string | null;
  result?: Record<string, unknown> | null;
  startTime?: string | null;
  endTime?: string | null;
}

/**
 * Where a job's state and log lines come from. `signal`, when given, aborts when the follower
 * stops waiting (its timeout passed): a source that can abandons its request then.
 */
export interface JobSource {
  job(id: string, signal?: AbortSignal): Promise<JobView>;
  /** Lines from `sequence` on, and the sequence to ask for next. */
  logs(
    id: string,
    sequence: number,
    signal?: AbortSignal,
  ): Promise<{ lines: string[]; next: number }>;
  /**
   * Like `logs`, but while there is no line yet and the job runs, a source that can (a server,
   * with `wait`) holds the request up to `waitMs` for the next line or the job's end. Without
   * it, a follower asks again every `pollMs`.
   */
  awaitLogs?(
    id: string,
    sequence: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<{ lines: string[]; next: number }>;
}

/**
 * The timeout of `followJob` passed before its source told anything about the job: the first
 * request was still unanswered.
 */
export class FollowTimeoutError extends Error {
  override name = 'FollowTimeoutError';
}

/** A request of the follower that the deadline cut short (internal to `followJob`). */
class DeadlinePassed extends Error {}

export interface LogSink {
  info(line: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

const ENDED: readonly string[] = TERMINAL_JOB_STATUSES;
/** The longest one `awaitLogs` is held: under the idle timeout of any proxy on the way. */
const HOLD_MS = 10_000;
/** Between two looks at least this long, were a server to answer `awaitLogs` at once. */
const MIN_LOOK_GAP_MS = 50;
/**
 * A request the deadline cuts after it went this long unanswered means the source stopped
 * answering (`stalled`); one sent just before the deadline was merely cut short.
 */
const STALL_MS = 1000;

export interface FollowOptions extends OutageOptions {
  /** Stop following (`timedOut`) once this has passed; the job goes on. */
  timeoutMs: number;
  pollMs?: number;
  /** The first log line to print. */
  from?: number;
}

/**
 * Prints a job's log as it grows, a group per task (lines a task wrote are `[task] ...`; a sink
 * without groups ignores them), until the job has ended and every line is out. The Action and
 * the `slipway` CLI both follow jobs with it. Resolves with the job as it ended, or with
 * `timedOut` and the job as it was when `timeoutMs` passed. Through an outage of the source
 * (see {@link OutageOptions}) it keeps its place: every line is printed once, in order.
 *
 * The timeout holds even while a request hangs: at the deadline the request is abandoned (its
 * `signal` aborts) and the follower resolves with the job as last read, and `stalled` set when
 * that request had gone unanswered for {@link STALL_MS} or more; when no read of the job had
 * been answered yet, it throws a {@link FollowTimeoutError}.
 */
export async function followJob(
  source: JobSource,
  id: string,
  sink: LogSink,
  options: FollowOptions,
): Promise<{ job: JobView; timedOut: boolean; stalled?: boolean }> {
  const deadline = Date.now() + options.timeoutMs;
  const cut = new AbortController();
  // setTimeout takes at most 2^31-1 ms (about 24 days); a longer wait (the CLI's default is
  // Infinity) has no deadline to cut at.
  const timer =
    options.timeoutMs < 2 ** 31
      ? setTimeout(() => cut.abort(), Math.max(options.timeoutMs, 0))
      : undefined;
  let stalled = false;
  // Every call races the deadline, so a source that never answers cannot hold the follower.
  // A long poll held up to the deadline is cut there as a matter of course, and so is a request
  // sent just before it: neither is a stall.
  const ask = <T>(
    call: (signal: AbortSignal) => Promise<T>,
    heldToDeadline = false,
  ): Promise<T> => {
    if (cut.signal.aborted) return Promise.reject(new DeadlinePassed());
    const sent = Date.now();
    const answer = call(cut.signal);
    return new Promise<T>((resolve, reject) => {
      const onCut = () => {
        stalled ||= !heldToDeadline && Date.now() - sent >= STALL_MS;
        reject(new DeadlinePassed());
      };
      cut.signal.addEventListener('abort', onCut, { once: true });
      answer.then(resolve, reject).finally(() => cut.signal.removeEventListener('abort', onCut));
    });
  };
  const awaitLogs = source.awaitLogs?.bind(source);
  const guarded: JobSource = {
    job: (jobId) => ask((signal) => source.job(jobId, signal)),
    logs: (jobId, from) => ask((signal) => source.logs(jobId, from, signal)),
    ...(awaitLogs
      ? {
          awaitLogs: (jobId: string, from: number, waitMs: number) =>
            ask(
              (signal) => awaitLogs(jobId, from, waitMs, signal),
              Date.now() + waitMs >= deadline,
            ),
        }
      : {}),
  };
  const printer = new GroupedPrinter(sink);
  const outages = new OutageWatch(options);
  let sequence = options.from ?? 0;
  let last: JobView | undefined;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // Between looks: hold a request for the next line where the source can, else wait pollMs.
  const pause = async () => {
    if (!guarded.awaitLogs) return sleep(options.pollMs ?? 1000);
    const started = Date.now();
    try {
      const hold = Math.min(HOLD_MS, Math.max(deadline - started, 0));
      const { lines, next } = await guarded.awaitLogs(id, sequence, hold);
      for (const line of lines) printer.write(line);
      sequence = next;
    } catch (error) {
      if (error instanceof DeadlinePassed) throw error;
      // The next look meets the failure again, and handles it (an outage, a missing job).
      return sleep(options.pollMs ?? 1000);
    }
    const rest = MIN_LOOK_GAP_MS - (Date.now() - started);
    if (rest > 0) await sleep(rest);
  };
  try {
    for (;;) {
      const job = await outages.attempt(async () => {
        // The status first: lines written before the job ended are then all read below.
        const read = await guarded.job(id);
        last = read;
        outages.answered();
        sequence = await readLogs(
          guarded,
          id,
          sequence,
          (line) => printer.write(line),
          (next) => {
            sequence = next;
            outages.answered();
          },
        );
        return read;
      });
      if (!job) {
        if (Date.now() >= deadline && last) return { job: last, timedOut: true };
        await pause();
        continue;
      }
      if (ENDED.includes(job.status)) return { job, timedOut: false };
      if (Date.now() >= deadline) return { job, timedOut: true };
      await pause();
    }
  } catch (error) {
    if (!(error instanceof DeadlinePassed)) throw error;
    if (!last) {
      throw new FollowTimeoutError(
        `no answer about job ${id} within the timeout of ${options.timeoutMs / 1000} s`,
      );
    }
    return { job: last, timedOut: true, ...(stalled ? { stalled: true } : {}) };
  } finally {
    clearTimeout(timer);
    printer.close();
  }
}

/**
 * Hands every line of the log from `sequence` on to `write`; answers the sequence after them.
 * `progress` hears the sequence after each page written, so a caller keeps its place when a
 * later page fails.
 */
export async function readLogs(
  source: JobSource,
  id: string,
  sequence: number,
  write: (line: string) => void,
  progress?: (next: number) => void,
): Promise<number> {
  for (let from = sequence; ; ) {
    const { lines, next } = await source.logs(id, from);
    for (const line of lines) write(line);
    if (lines.length === 0 || next === from) return from;
    from = next;
    progress?.(from);
  }
}

class GroupedPrinter {
  private group: string | undefined;
  constructor(private readonly sink: LogSink) {}

  write(line: string): void {
    const task = /^\[([^\]\s]+)\] /.exec(line)?.[1];
    if (task !== this.group) {
      if (this.group !== undefined) this.sink.endGroup();
      if (task !== undefined) this.sink.startGroup(task);
      this.group = task;
    }
    this.sink.info(line);
  }

  close(): void {
    if (this.group !== undefined) this.sink.endGroup();
    this.group = undefined;
  }
}
