import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { JobFilter, Page, PageRequest, Store } from '../store/types.js';
import {
  type Clock,
  isoTime,
  type Job,
  type JobLogLine,
  type JobType,
  TERMINAL_JOB_STATUSES,
} from '../types.js';

/** Characters of log text one read answers at most: 10,000 lines of 64 KB would be 640 MB. */
export const MAX_LOG_PAGE_CHARS = 4 * 1024 * 1024;
/** Lines read from the store at a time while a page is filled. */
const LOG_BATCH = 500;

export interface EnqueueRequest {
  type: JobType;
  /** Serialization key: jobs with the same target never run at once. */
  target: string;
  params?: Record<string, unknown>;
  workspaceId?: string | null;
  commitId?: string | null;
  /** Idempotency key: enqueueing it again returns the job it created. */
  deliveryId?: string | null;
  identity?: string | null;
  maxAttempts?: number;
  /** Stop every QUEUED job of the same target and type: this newer one replaces them. */
  supersede?: boolean;
  /**
   * Of the QUEUED jobs `supersede` would stop, the ids of those to keep: they are newer than
   * this one after all (a push GitHub delivered late). Asked only when there are some.
   */
  spare?: (queued: Job[]) => ReadonlySet<string>;
  /**
   * Record the job without running it: it is written STOPPED, with this as its message and
   * only log line, and supersedes nothing (a deploy of a paused workspace, held).
   */
  held?: string;
}

export interface EnqueueResult {
  job: Job;
  /** False when `deliveryId` had been seen: `job` is the one created then. */
  created: boolean;
  /** Older queued jobs this one replaced (now STOPPED). */
  superseded: Job[];
}

/** Called when a job reaches a terminal status outside a worker, and why. */
export type StopListener = (job: Job, why: 'withdrawn' | 'superseded') => void;

export const DEFAULT_MAX_ATTEMPTS = 3;

/** How often `awaitLogs` looks for new lines. */
const WAIT_STEP_MS = 50;

/**
 * The durable queue's front: everything that changes jobs from outside a worker. Workers live in
 * `worker-pool.ts`; both only talk through the store, so a job written here survives a crash.
 */
export class JobQueue {
  private readonly enqueueListeners = new Set<() => void>();
  private readonly stopListeners = new Set<StopListener>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS,
  ) {}

  /**
   * Writes a QUEUED job and returns it; with a known `deliveryId` returns the earlier job
   * instead. With `supersede`, queued jobs of the same target and type end STOPPED.
   *
   * @example
   * queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: `workspace:${id}`, supersede: true })
   */
  enqueue(request: EnqueueRequest): EnqueueResult {
    const outcome = this.store.transaction((): EnqueueResult => {
      if (request.deliveryId) {
        const existing = this.store.findJobByDelivery(request.deliveryId);
        if (existing) return { job: existing, created: false, superseded: [] };
      }
      const now = this.clock.now();
      const created = isoTime(now);
      const held = request.held ?? null;
      const job: Job = {
        id: randomUUID(),
        created,
        type: request.type,
        status: held === null ? 'QUEUED' : 'STOPPED',
        attempt: 0,
        maxAttempts: request.maxAttempts ?? this.defaultMaxAttempts,
        startTime: null,
        endTime: held === null ? null : created,
        exitCode: null,
        commitId: request.commitId ?? null,
        message: held,
        target: request.target,
        workspaceId: request.workspaceId ?? null,
        params: request.params ?? {},
        result: null,
        progress: null,
        deliveryId: request.deliveryId ?? null,
        identity: request.identity ?? null,
        runAfter: now,
        leaseOwner: null,
        leaseExpires: null,
        updated: created,
      };
      const superseded =
        request.supersede && held === null ? this.supersedeQueued(job, request.spare) : [];
      this.store.insertJob(job);
      if (held !== null) this.store.appendJobLogs(job.id, [{ time: created, line: held }]);
      return { job, created: true, superseded };
    });
    for (const job of outcome.superseded) this.notifyStopped(job, 'superseded');
    if (outcome.created && outcome.job.status === 'QUEUED') {
      for (const listener of this.enqueueListeners) listener();
    }
    return outcome;
  }

  private supersedeQueued(newer: Job, spare?: EnqueueRequest['spare']): Job[] {
    const queued = this.store.listJobs(
      { target: newer.target, type: newer.type, status: ['QUEUED'] },
      { offset: 0, limit: 1000 },
    ).items;
    const spared = queued.length > 0 && spare ? spare(queued) : undefined;
    const stopped: Job[] = [];
    const now = isoTime(this.clock.now());
    for (const older of queued) {
      if (spared?.has(older.id)) continue;
      const commit = newer.commitId ? ` (commit ${newer.commitId.slice(0, 12)})` : '';
      const message = `superseded by job ${newer.id}${commit}`;
      const job = this.store.updateJob(
        older.id,
        { status: 'STOPPED', endTime: now, message, updated: now },
        { status: ['QUEUED'] },
      );
      if (!job) continue;
      this.store.appendJobLogs(older.id, [{ time: now, line: message }]);
      stopped.push(job);
    }
    return stopped;
  }

  /** The job, or NOT_FOUND. */
  get(id: string): Job {
    const job = this.store.getJob(id);
    if (!job) throw new SlipwayError('NOT_FOUND', `job '${id}' does not exist`);
    return job;
  }

  list(filter: JobFilter, page: PageRequest): Page<Job> {
    return this.store.listJobs(filter, page);
  }

  /**
   * Log lines from `sequence` on: at most `limit`, and no more than {@link MAX_LOG_PAGE_CHARS}
   * characters of them (one line at least), read a batch at a time, so a page of long lines
   * cannot take the server's memory; NOT_FOUND for an unknown job.
   */
  logs(id: string, sequence: number, limit: number): JobLogLine[] {
    this.get(id);
    const lines: JobLogLine[] = [];
    let chars = 0;
    let from = sequence;
    while (lines.length < limit) {
      const asked = Math.min(LOG_BATCH, limit - lines.length);
      const batch = this.store.readJobLogs(id, from, asked);
      for (const line of batch) {
        if (lines.length > 0 && chars + line.line.length > MAX_LOG_PAGE_CHARS) return lines;
        lines.push(line);
        chars += line.line.length;
      }
      const last = batch.at(-1);
      if (batch.length < asked || !last) break;
      from = last.sequence + 1;
    }
    return lines;
  }

  /**
   * Like `logs`, but when there is no line from `sequence` on yet and the job still runs, waits
   * up to `waitMs` for one (or for the job to end, or for `signal`): a follower then hears of a
   * line within `WAIT_STEP_MS` of its commit, with one request instead of one per poll. Looks
   * at the store every `WAIT_STEP_MS` (a read of a few microseconds), so it sees lines and ends
   * whichever process wrote them.
   */
  async awaitLogs(
    id: string,
    sequence: number,
    limit: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<JobLogLine[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lines = this.logs(id, sequence, limit);
      if (lines.length > 0 || Date.now() >= deadline || signal?.aborted) return lines;
      if (TERMINAL_JOB_STATUSES.includes(this.get(id).status)) {
        // Lines written with the final status are committed with it.
        return this.logs(id, sequence, limit);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(WAIT_STEP_MS, deadline - Date.now())),
      );
    }
  }

  /**
   * Withdraws a QUEUED or RUNNING job: it ends STOPPED at once, and the worker running it (in
   * this process, or another on its next heartbeat) aborts its work. CONFLICT for a job that
   * already ended.
   */
  withdraw(id: string, by: string | null): Job {
    const stopped = this.store.transaction(() => {
      const job = this.get(id);
      if (TERMINAL_JOB_STATUSES.includes(job.status)) {
        throw new SlipwayError(
          'CONFLICT',
          `job '${id}' is ${job.status}; only QUEUED or RUNNING jobs can be withdrawn`,
        );
      }
      const now = isoTime(this.clock.now());
      const message = by ? `withdrawn by ${by}` : 'withdrawn';
      const updated = this.store.updateJob(
        id,
        { status: 'STOPPED', endTime: now, message, updated: now, leaseExpires: null },
        { status: ['QUEUED', 'RUNNING'] },
      );
      if (!updated) throw new SlipwayError('CONFLICT', `job '${id}' ended while being withdrawn`);
      this.store.appendJobLogs(id, [{ time: now, line: message }]);
      return updated;
    });
    this.notifyStopped(stopped, 'withdrawn');
    return stopped;
  }

  /** Deletes a job that has ended, with its log. */
  deleteEnded(id: string): void {
    const job = this.get(id);
    if (!TERMINAL_JOB_STATUSES.includes(job.status)) {
      throw new SlipwayError('CONFLICT', `job '${id}' is ${job.status}; withdraw it first`);
    }
    this.store.deleteJob(id);
  }

  /** `listener` runs after each newly written job (workers use it to wake up). */
  onEnqueued(listener: () => void): () => void {
    this.enqueueListeners.add(listener);
    return () => this.enqueueListeners.delete(listener);
  }

  /** `listener` runs when a job is withdrawn or superseded. */
  onStopped(listener: StopListener): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  private notifyStopped(job: Job, why: 'withdrawn' | 'superseded'): void {
    for (const listener of this.stopListeners) listener(job, why);
  }
}
