import { errorMessage, isSlipwayError } from '../errors.js';
import { GroupCommit } from '../store/group-commit.js';
import type { JobPatch, Store } from '../store/types.js';
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
}

type AbortReason = 'withdrawn' | 'timeout' | 'lease-lost' | 'shutdown';

interface Running {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const LEASE_SWEEP_MS = 5000;

/**
 * Claims jobs from the store and runs their handlers, at most `workers` at once. Each running job
 * holds a lease it renews by heartbeat; a job whose lease lapses (its process died) is queued
 * again for another attempt, so no job is lost and none runs twice at once.
 */
export class WorkerPool {
  private readonly running = new Map<string, Running>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly backoff: BackoffPolicy;
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
      if (this.clockNow() - this.lastSweep >= LEASE_SWEEP_MS) this.requeueOrphans('expired');
      const claimed = this.claim(this.options.workers - this.running.size);
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
    // A withdrawn job of the same target may still be winding down here; the store already
    // shows it STOPPED, so wait for its handler before this one touches the same target.
    const winding = [...this.running.values()].filter((r) => r.job.target === job.target);
    const entry: Running = { job, controller, done: Promise.resolve() };
    this.running.set(job.id, entry);
    entry.done = Promise.all(winding.map((r) => r.done))
      .then(() => this.execute(job, controller))
      .finally(() => {
        this.running.delete(job.id);
        this.wake?.();
      });
  }

  private abort(jobId: string, reason: AbortReason): void {
    const entry = this.running.get(jobId);
    if (entry && !entry.controller.signal.aborted) entry.controller.abort(reason);
  }

  private async execute(job: Job, controller: AbortController): Promise<void> {
    const { store, clock } = this.options;
    const logger = this.options.logger.child({ jobId: job.id, jobType: job.type });
    const log = new JobLog(store, job.id, clock, logger);
    const entry = this.options.handlers[job.type];
    const heartbeat = setInterval(() => this.heartbeat(job.id), Math.max(this.leaseMs / 3, 10));
    heartbeat.unref();
    const timeoutMs = entry?.timeoutMs?.(job) ?? DEFAULT_TIMEOUT_MS;
    const timeout = setTimeout(() => controller.abort('timeout'), timeoutMs);
    timeout.unref();
    const attemptText =
      job.maxAttempts > 1 ? ` (attempt ${job.attempt + 1} of ${job.maxAttempts})` : '';
    log.write(`${job.type} started${attemptText}`);
    logger.info({ attempt: job.attempt }, 'job started');
    try {
      if (!entry) throw new Error(`no handler is registered for job type ${job.type}`);
      const outcome = await entry.run({
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
      if (controller.signal.aborted) {
        log.close();
        this.afterAbort(job, controller.signal.reason as AbortReason, timeoutMs);
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
        this.afterAbort(job, controller.signal.reason as AbortReason, timeoutMs);
        return;
      }
      this.afterFailure(job, error, log, logger);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
      log.close();
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

  private afterAbort(job: Job, reason: AbortReason, timeoutMs: number): void {
    const now = isoTime(this.clockNow());
    const { store } = this.options;
    if (reason === 'timeout') {
      const message = `timed out after ${Math.round(timeoutMs / 1000)} s`;
      store.appendJobLogs(job.id, [{ time: now, line: message }]);
      this.finish(job.id, { status: 'STOPPED', endTime: now, message, progress: null });
      this.ended(job, { status: 'STOPPED', message });
    } else if (reason === 'withdrawn') {
      // The withdraw wrote its message (who withdrew it) with the STOPPED status.
      this.ended(job, { status: 'STOPPED', message: store.getJob(job.id)?.message ?? 'withdrawn' });
    } else if (reason === 'shutdown') {
      const line = 'Slipway is shutting down; the job runs again when it starts';
      store.appendJobLogs(job.id, [{ time: now, line }]);
      this.finish(job.id, { status: 'QUEUED', leaseOwner: null, leaseExpires: null });
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
    const renewed = store.updateJob(
      jobId,
      { leaseExpires: now + this.leaseMs },
      { status: ['RUNNING'], leaseOwner: owner },
    );
    if (renewed) return;
    const job = store.getJob(jobId);
    this.abort(jobId, job?.status === 'STOPPED' || !job ? 'withdrawn' : 'lease-lost');
  }

  /** Puts RUNNING jobs whose worker is gone back in the queue (or ends them when out of attempts). */
  private requeueOrphans(mode: 'all' | 'expired'): void {
    const { store, owner, logger } = this.options;
    const now = this.clockNow();
    this.lastSweep = now;
    const filter = mode === 'all' ? { status: ['RUNNING' as const] } : { leaseExpiredBefore: now };
    const orphans = store
      .listJobs(filter, { offset: 0, limit: 10_000 })
      .items.filter((job) => job.status === 'RUNNING' && job.leaseOwner !== owner);
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
          if (updated) store.appendJobLogs(job.id, [{ time, line }]);
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
