import { errorMessage, isSlipwayError } from '../errors.js';
import { GroupCommit } from '../store/group-commit.js';
import type { JobPatch, NewLogLine, Store } from '../store/types.js';
import { type Clock, isoTime, type Job, type JobType, type Logger } from '../types.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { JobLog } from './job-log.js';
import type { JobQueue } from './queue.js';

/** What a handler gets for the one job it runs. */
export interface JobContext {
  job: Job;
  /** Aborted when the job is withdrawn, times out, loses its lease or Slipway shuts down. */
  signal: AbortSignal;
  /** Appends a numbered line to the job's log. */
  log(line: string): void;
  logger: Logger;
  /** Records the commit the job acts on as soon as it is known. */
  setCommit(commitId: string): void;
  /**
   * Keeps what the handler needs to go on from here, durably and at once: a later attempt of the
   * same job (a retry, or the one taken up after a crash) finds it in `job.progress`, and can
   * report the whole job rather than its own attempt.
   */
  keepProgress(progress: Record<string, unknown>): void;
}

export interface JobOutcome {
  result?: Record<string, unknown>;
  message?: string;
}

export type JobHandler = (context: JobContext) => Promise<JobOutcome | undefined>;

export interface JobHandlerEntry {
  run: JobHandler;
  /** Hard limit on one attempt; past it the job ends STOPPED. Default one hour. */
  timeoutMs?: (job: Job) => number;
  /**
   * Told when a job of this type ends without completing and will not run again: it failed for
   * good, timed out, was withdrawn (queued, or running here), or its worker stopped once too
   * often. Not when it was superseded: the newer job of its target takes its place. The place
   * to settle what the job left half done.
   */
  ended?: (job: Job, end: JobEnd) => void;
}

/** How a job ended for good without completing: the status it ended in, and why. */
export interface JobEnd {
  status: 'ERROR' | 'STOPPED';
  message: string;
}

export interface WorkerPoolOptions {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** Identifies this process in leases. */
  owner: string;
  workers: number;
  handlers: Partial<Record<JobType, JobHandlerEntry>>;
  leaseMs?: number;
  pollMs?: number;
  backoff?: BackoffPolicy;
  /**
   * How long a handler may take to return once its job was aborted (withdrawn, timed out) before
   * it is abandoned: its job is settled without it and its worker and target are free again.
   * Also how long a newly claimed job waits for the handler of an older job of its target.
   * Default 30 s.
   */
  windDownMs?: number;
}

type AbortReason = 'withdrawn' | 'timeout' | 'lease-lost' | 'shutdown';

interface Running {
  job: Job;
  controller: AbortController;
  /** Resolves when the handler returned, or was abandoned. */
  done: Promise<void>;
  /** Settles the job without waiting any longer for its handler; `why` goes to its log. */
  abandon(why: string): void;
}

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const DEFAULT_WIND_DOWN_MS = 30_000;
/** What a handler's promise is raced against: it was given up on. */
const ABANDONED = Symbol('abandoned');
const LEASE_SWEEP_MS = 5000;

/**
 * Claims jobs from the store and runs their handlers, at most `workers` at once. Each running job
 * holds a lease it renews by heartbeat; a job whose lease lapses (its process died) is queued
 * again for another attempt, so no job is lost and none runs twice at once.
 */
export class WorkerPool {
  private readonly running = new Map<string, Running>();
  /** What a job's log could not be told before it stopped running here, by job id. */
  private readonly unwritten = new Map<string, string>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly windDownMs: number;
  private started = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastSweep = 0;
  private readonly unsubscribe: Array<() => void> = [];
  /** Jobs that end in the same turn of the event loop commit together. */
  private readonly commits: GroupCommit;

  constructor(private readonly options: WorkerPoolOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 250;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.windDownMs = options.windDownMs ?? DEFAULT_WIND_DOWN_MS;
    this.commits = new GroupCommit(options.store);
  }

  /**
   * Requeues jobs orphaned by a dead process, then starts claiming. With `orphans: 'all'` every
   * RUNNING job owned by someone else is taken back at once (the host holds the data directory
   * lock, so their owner is gone); with `'expired'` only those whose lease lapsed.
   */
  start(orphans: 'all' | 'expired' = 'expired'): void {
    if (this.started) return;
    this.started = true;
    this.requeueOrphans(orphans);
    this.unsubscribe.push(
      this.options.queue.onEnqueued(() => this.wake?.()),
      this.options.queue.onStopped((job, why) => {
        // A job running here ends through its abort; one withdrawn while queued ends now. A
        // superseded one leaves nothing to settle: the newer job of its target takes its place.
        if (this.running.has(job.id)) this.abort(job.id, 'withdrawn');
        else if (why === 'withdrawn') {
          this.ended(job, { status: 'STOPPED', message: job.message ?? 'withdrawn' });
        }
      }),
    );
    this.loop = this.claimLoop();
  }

  /**
   * Stops claiming and lets running jobs finish for up to `graceMs`; the ones still running
   * then are aborted and go back to QUEUED with their lease released, so the next start runs
   * them at once. Waits up to `abortMs` for their handlers to wind down.
   */
  async stop(graceMs = 0, abortMs = 10_000): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const off of this.unsubscribe) off();
    this.wake?.();
    await this.loop;
    const settled = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (graceMs > 0 && this.running.size > 0) {
      this.options.logger.info(
        { running: this.running.size, graceMs },
        'waiting for running jobs to finish',
      );
      await Promise.race([settled(), delay(graceMs)]);
    }
    for (const id of this.running.keys()) this.abort(id, 'shutdown');
    await Promise.race([settled(), delay(abortMs)]);
    // A handler that ignores its abort must not cost its job an attempt at the next start.
    for (const entry of [...this.running.values()]) {
      entry.abandon(`did not stop within ${seconds(abortMs)} of the shutdown`);
    }
    await settled();
  }

  /** Resolves when the job is not running in this process (at once if it is not). */
  async settled(jobId: string): Promise<void> {
    await this.running.get(jobId)?.done;
  }

  /** Number of jobs running in this process. */
  get active(): number {
    return this.running.size;
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      let claimed: Job[] = [];
      try {
        if (this.clockNow() - this.lastSweep >= LEASE_SWEEP_MS) this.requeueOrphans('expired');
        claimed = this.claim(this.options.workers - this.running.size);
      } catch (error) {
        // A store that refuses writes (a full disk) stops no one: claims wait for it to mend.
        this.options.logger.error({ err: error }, 'could not claim jobs; trying again shortly');
      }
      for (const job of claimed) this.launch(job);
      if (claimed.length === 0) await this.idle();
    }
  }

  /** Up to `free` jobs, claimed in one commit rather than one commit each. */
  private claim(free: number): Job[] {
    if (free <= 0) return [];
    const { store, owner } = this.options;
    const now = this.clockNow();
    return store.transaction(() => {
      const claimed: Job[] = [];
      while (claimed.length < free) {
        const job = store.claimJob(owner, now, now + this.leaseMs);
        if (!job) break;
        claimed.push(job);
      }
      return claimed;
    });
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, this.pollMs);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        finish();
      };
    });
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const entry = this.options.handlers[job.type];
    // The job's time runs from its claim, whatever it then waits for; its lease is kept as long.
    const timeoutMs = entry?.timeoutMs?.(job) ?? DEFAULT_TIMEOUT_MS;
    const timeout = setTimeout(() => this.abort(job.id, 'timeout'), timeoutMs);
    timeout.unref();
    const heartbeat = setInterval(() => this.heartbeat(job.id), Math.max(this.leaseMs / 3, 10));
    heartbeat.unref();
    // A withdrawn or timed-out job of the same target may still be winding down here; the store
    // already shows it ended, so wait for its handler before this one touches the same target,
    // but not for ever: a handler stuck in a call that never returns is left behind.
    const winding = [...this.running.values()].filter((r) => r.job.target === job.target);
    let giveUp: (why: string) => void = () => {};
    const abandoned = new Promise<typeof ABANDONED>((resolve) => {
      giveUp = (why) => {
        giveUp = () => {};
        this.options.logger.warn(
          { jobId: job.id, jobType: job.type, reason: why },
          'abandoned a job handler that did not stop',
        );
        this.appendLog(job.id, `the handler of this job was abandoned: it ${why}`);
        resolve(ABANDONED);
      };
    });
    const running: Running = {
      job,
      controller,
      done: Promise.resolve(),
      abandon: (why) => giveUp(why),
    };
    this.running.set(job.id, running);
    let windDown: NodeJS.Timeout | undefined;
    const onAbort = () => {
      windDown = setTimeout(
        () =>
          giveUp(
            `did not stop within ${seconds(this.windDownMs)} of being ${abortWord(controller.signal.reason)}`,
          ),
        this.windDownMs,
      );
      windDown.unref();
    };
    controller.signal.addEventListener('abort', onAbort, { once: true });
    running.done = (async () => {
      try {
        if (winding.length > 0) {
          this.appendLog(job.id, 'waiting for the previous job of this target to wind down');
          const waited = await Promise.race([
            Promise.all(winding.map((r) => r.done)).then(() => 'done' as const),
            delay(this.windDownMs).then(() => 'late' as const),
            aborted(controller.signal),
          ]);
          if (waited === 'late') {
            for (const old of winding) {
              old.abandon(
                `did not stop within ${seconds(this.windDownMs)} while a newer job of its target waited`,
              );
            }
          }
        }
        if (controller.signal.aborted) {
          // Never started: nothing to wind down, and no attempt spent.
          this.afterAbort(job, controller.signal.reason as AbortReason, timeoutMs, false);
          return;
        }
        await this.execute(job, controller, timeoutMs, abandoned);
      } catch (error) {
        // The store refused to record how the job ended (a full disk): the job keeps its
        // RUNNING row, its lease runs out, and it is taken up again; the server goes on.
        this.options.logger.error(
          { err: error, jobId: job.id },
          'could not record how the job ended; it runs again once its lease runs out',
        );
      } finally {
        clearInterval(heartbeat);
        clearTimeout(timeout);
        clearTimeout(windDown);
        giveUp = () => {};
        controller.signal.removeEventListener('abort', onAbort);
        this.running.delete(job.id);
        this.wake?.();
      }
    })();
  }

  /** Appends one line to a job's log outside its handler's JobLog. */
  private appendLog(jobId: string, line: string): void {
    try {
      this.options.store.appendJobLogs(jobId, [{ time: isoTime(this.clockNow()), line }]);
    } catch (error) {
      this.options.logger.warn({ err: error, jobId }, 'could not write a job log line');
    }
  }

  private abort(jobId: string, reason: AbortReason): void {
    const entry = this.running.get(jobId);
    if (entry && !entry.controller.signal.aborted) entry.controller.abort(reason);
  }

  private async execute(
    job: Job,
    controller: AbortController,
    timeoutMs: number,
    abandoned: Promise<typeof ABANDONED>,
  ): Promise<void> {
    const { store, clock } = this.options;
    const logger = this.options.logger.child({ jobId: job.id, jobType: job.type });
    const log = new JobLog(store, job.id, clock, logger);
    const entry = this.options.handlers[job.type];
    const attemptText =
      job.maxAttempts > 1 ? ` (attempt ${job.attempt + 1} of ${job.maxAttempts})` : '';
    log.write(`${job.type} started${attemptText}`);
    logger.info({ attempt: job.attempt }, 'job started');
    try {
      if (!entry) throw new Error(`no handler is registered for job type ${job.type}`);
      const handled = entry.run({
        job,
        signal: controller.signal,
        log: (line) => log.write(line),
        logger,
        setCommit: (commitId) => {
          this.finish(job.id, { commitId });
        },
        keepProgress: (progress) => {
          this.finish(job.id, { progress });
        },
      });
      const outcome = await Promise.race([handled, abandoned]);
      if (outcome === ABANDONED) {
        // Whatever it does when (if) it returns is ignored: its job is settled here.
        handled.catch(() => {});
        log.close();
        const reason = controller.signal.aborted
          ? (controller.signal.reason as AbortReason)
          : 'lease-lost';
        this.afterAbort(job, reason, timeoutMs, true);
        return;
      }
      if (controller.signal.aborted) {
        log.close();
        this.afterAbort(job, controller.signal.reason as AbortReason, timeoutMs, true);
        return;
      }
      const now = clock.now();
      // The last lines and the status in one commit: a reader who sees COMPLETE sees them all.
      const lines = log.take();
      try {
        await this.commits.run(() => {
          log.append(lines);
          this.finish(job.id, {
            status: 'COMPLETE',
            exitCode: 0,
            endTime: isoTime(now),
            result: outcome?.result ?? null,
            progress: null,
            message: outcome?.message ?? null,
          });
        });
      } catch (error) {
        log.restore(lines);
        throw error;
      }
      logger.info({ ms: now - Date.parse(job.startTime ?? job.created) }, 'job complete');
    } catch (error) {
      if (controller.signal.aborted) {
        log.close();
        this.afterAbort(job, controller.signal.reason as AbortReason, timeoutMs, true);
        return;
      }
      this.afterFailure(job, error, log, logger);
    } finally {
      log.close();
      // Lines the store refused to the end are said in the log when the job is taken up again.
      const unwritten = log.unwritten();
      if (unwritten) this.unwritten.set(job.id, unwritten);
    }
  }

  private afterFailure(job: Job, error: unknown, log: JobLog, logger: Logger): void {
    const now = this.clockNow();
    const message = errorMessage(error);
    const retryable = isSlipwayError(error) && error.retryable;
    if (retryable && job.attempt + 1 < job.maxAttempts) {
      const wait = backoffDelay(job.attempt, this.backoff);
      log.write(`attempt ${job.attempt + 1} of ${job.maxAttempts} failed: ${message}`);
      log.write(`retrying in ${(wait / 1000).toFixed(1)} s`);
      log.close();
      this.finish(job.id, {
        status: 'QUEUED',
        attempt: job.attempt + 1,
        runAfter: now + wait,
        leaseOwner: null,
        leaseExpires: null,
        message: `retrying after: ${message}`,
      });
      logger.warn({ err: error, retryInMs: wait }, 'job attempt failed; retrying');
      return;
    }
    const problems = isSlipwayError(error) ? error.problems : [];
    const details = isSlipwayError(error) ? error.details : {};
    log.write(`${job.type} failed: ${message}`);
    if (isSlipwayError(error) && error.hint) log.write(`hint: ${error.hint}`);
    log.close();
    const result =
      problems.length > 0 || Object.keys(details).length > 0
        ? { ...details, ...(problems.length > 0 ? { problems } : {}) }
        : null;
    this.finish(job.id, {
      status: 'ERROR',
      exitCode: 1,
      endTime: isoTime(now),
      message,
      result,
      progress: null,
    });
    logger.warn({ err: isSlipwayError(error) ? undefined : error, reason: message }, 'job failed');
    this.ended(job, { status: 'ERROR', message });
  }

  /** Hands a job that ended for good to its handler's `ended`; a failure there is logged. */
  private ended(job: Job, end: JobEnd): void {
    try {
      this.options.handlers[job.type]?.ended?.(job, end);
    } catch (error) {
      this.options.logger.error({ err: error, jobId: job.id }, 'settling an ended job failed');
    }
  }

  /** Settles an aborted job; `started` says whether its handler ran (a shutdown says so). */
  private afterAbort(job: Job, reason: AbortReason, timeoutMs: number, started: boolean): void {
    const now = isoTime(this.clockNow());
    const { store } = this.options;
    // The server's log says how each job ended, as it says how it started.
    const logger = this.options.logger.child({ jobId: job.id, jobType: job.type });
    if (reason === 'timeout') {
      const message = `timed out after ${Math.round(timeoutMs / 1000)} s`;
      store.appendJobLogs(job.id, [{ time: now, line: message }]);
      this.finish(job.id, { status: 'STOPPED', endTime: now, message, progress: null });
      logger.warn({ reason: message }, 'job stopped');
      this.ended(job, { status: 'STOPPED', message });
    } else if (reason === 'withdrawn') {
      // The withdraw wrote its message (who withdrew it) with the STOPPED status.
      const message = store.getJob(job.id)?.message ?? 'withdrawn';
      logger.info({ reason: message }, 'job stopped');
      this.ended(job, { status: 'STOPPED', message });
    } else if (reason === 'shutdown') {
      const line = started
        ? 'Slipway is shutting down; the job runs again when it starts'
        : 'Slipway is shutting down before this job started; it runs when Slipway starts again';
      store.appendJobLogs(job.id, [{ time: now, line }]);
      this.finish(job.id, { status: 'QUEUED', leaseOwner: null, leaseExpires: null });
      logger.info('job put back in the queue: it runs again when Slipway starts');
    } else {
      logger.warn('job taken over by another Slipway: its lease ran out here');
    }
    // 'withdrawn': the queue already wrote STOPPED; 'lease-lost': another worker owns it now.
  }

  /** Writes a change to a job this worker still owns; a withdrawn or re-leased job is left as is. */
  private finish(jobId: string, patch: JobPatch): void {
    this.options.store.updateJob(
      jobId,
      { ...patch, updated: isoTime(this.clockNow()) },
      { status: ['RUNNING'], leaseOwner: this.options.owner },
    );
  }

  private heartbeat(jobId: string): void {
    const { store, owner } = this.options;
    const now = this.clockNow();
    let renewed: Job | undefined;
    try {
      renewed = store.updateJob(
        jobId,
        { leaseExpires: now + this.leaseMs },
        { status: ['RUNNING'], leaseOwner: owner },
      );
    } catch (error) {
      // Not renewed this time (a full disk): the next beat tries again before the lease ends.
      this.options.logger.warn({ err: error, jobId }, 'could not renew a job lease');
      return;
    }
    if (renewed) return;
    const job = store.getJob(jobId);
    this.abort(jobId, job?.status === 'STOPPED' || !job ? 'withdrawn' : 'lease-lost');
  }

  /** The line saying what a job's log lost here, once, for the write that takes it up again. */
  private takeUnwritten(jobId: string, time: string): NewLogLine[] {
    const line = this.unwritten.get(jobId);
    this.unwritten.delete(jobId);
    return line ? [{ time, line }] : [];
  }

  /** Puts RUNNING jobs whose worker is gone back in the queue (or ends them when out of attempts). */
  private requeueOrphans(mode: 'all' | 'expired'): void {
    const { store, owner, logger } = this.options;
    const now = this.clockNow();
    this.lastSweep = now;
    const filter = mode === 'all' ? { status: ['RUNNING' as const] } : { leaseExpiredBefore: now };
    const orphans = store
      .listJobs(filter, { offset: 0, limit: 10_000 })
      // A job of this worker is an orphan too once it runs here no more (its end could not be
      // written, a full disk): its lease ran out like anyone's.
      .items.filter(
        (job) =>
          job.status === 'RUNNING' && (job.leaseOwner !== owner || !this.running.has(job.id)),
      );
    for (const job of orphans) {
      const time = isoTime(now);
      const expect = {
        status: ['RUNNING' as const],
        ...(job.leaseOwner ? { leaseOwner: job.leaseOwner } : {}),
      };
      if (job.attempt + 1 < job.maxAttempts) {
        const line = `the worker running this job stopped (attempt ${job.attempt + 1}); running it again`;
        const requeued = store.transaction(() => {
          const updated = store.updateJob(
            job.id,
            {
              status: 'QUEUED',
              attempt: job.attempt + 1,
              runAfter: now,
              leaseOwner: null,
              leaseExpires: null,
              updated: time,
            },
            expect,
          );
          if (updated)
            store.appendJobLogs(job.id, [...this.takeUnwritten(job.id, time), { time, line }]);
          return updated;
        });
        if (requeued) logger.warn({ jobId: job.id }, 'requeued a job whose worker stopped');
      } else {
        const message = `the worker running this job stopped ${job.maxAttempts} times; giving up`;
        const ended = store.updateJob(
          job.id,
          {
            status: 'ERROR',
            exitCode: 1,
            endTime: time,
            message,
            progress: null,
            leaseOwner: null,
            leaseExpires: null,
            updated: time,
          },
          expect,
        );
        if (ended) {
          store.appendJobLogs(job.id, [{ time, line: message }]);
          this.ended(job, { status: 'ERROR', message });
        }
      }
    }
  }

  private clockNow(): number {
    return this.options.clock.now();
  }
}

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

function abortWord(reason: unknown): string {
  switch (reason as AbortReason) {
    case 'timeout':
      return 'timed out';
    case 'lease-lost':
      return 'taken over by another worker';
    case 'shutdown':
      return 'stopped for a shutdown';
    default:
      return 'withdrawn';
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
