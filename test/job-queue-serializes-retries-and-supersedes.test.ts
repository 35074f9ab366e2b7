import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { type JobEnd, type JobHandlerEntry, JobQueue, WorkerPool } from '../core/jobs/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import type { Store } from '../core/store/types.js';
import { type Job, type JobType, silentLogger, systemClock } from '../core/types.js';
import { eventually } from './helpers/wait.js';

interface Harness {
  store: Store;
  queue: JobQueue;
  pool: WorkerPool;
}

const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop(1000)));
});

function harness(
  handlers: Partial<Record<JobType, JobHandlerEntry>>,
  options: { workers?: number; leaseMs?: number; store?: Store; owner?: string } = {},
): Harness {
  const store = options.store ?? createMemoryStore();
  const queue = new JobQueue(store, systemClock);
  const pool = new WorkerPool({
    store,
    queue,
    clock: systemClock,
    logger: silentLogger,
    owner: options.owner ?? 'test-owner',
    workers: options.workers ?? 4,
    handlers,
    leaseMs: options.leaseMs ?? 30_000,
    pollMs: 20,
    backoff: { baseMs: 20, maxMs: 50 },
  });
  pools.push(pool);
  return { store, queue, pool };
}

async function ended(store: Store, id: string): Promise<Job> {
  return eventually(async () => {
    const job = store.getJob(id);
    return job && ['COMPLETE', 'ERROR', 'STOPPED'].includes(job.status) ? job : undefined;
  }, `job ${id} to end`);
}

function logText(store: Store, id: string): string {
  return store
    .readJobLogs(id, 0, 1000)
    .map((l) => l.line)
    .join('\n');
}

describe('the job queue', () => {
  it('runs a job to COMPLETE with its result, numbered log lines and times', async () => {
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: async ({ log, setCommit }) => {
          log('first');
          log('second\nthird');
          setCommit('a'.repeat(40));
          return { result: { created: 1 }, message: 'done' };
        },
      },
    });
    pool.start();
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't' });
    expect(job.status).toBe('QUEUED');
    const done = await ended(store, job.id);
    expect(done).toMatchObject({
      status: 'COMPLETE',
      exitCode: 0,
      result: { created: 1 },
      message: 'done',
    });
    expect(done.commitId).toBe('a'.repeat(40));
    expect(Date.parse(done.endTime ?? '')).toBeGreaterThanOrEqual(Date.parse(done.startTime ?? ''));
    const lines = store.readJobLogs(job.id, 0, 100);
    expect(lines.map((l) => l.sequence)).toEqual(lines.map((_, i) => i));
    expect(lines.map((l) => l.line)).toEqual(expect.arrayContaining(['first', 'second', 'third']));
  });

  it('never runs two jobs of the same target at once, but runs other targets in parallel', async () => {
    const running = new Map<string, number>();
    let maxSameTarget = 0;
    let maxOverall = 0;
    let overall = 0;
    const { queue, pool, store } = harness({
      TASK_DEPLOY: {
        run: async ({ job }) => {
          const count = (running.get(job.target) ?? 0) + 1;
          running.set(job.target, count);
          overall += 1;
          maxSameTarget = Math.max(maxSameTarget, count);
          maxOverall = Math.max(maxOverall, overall);
          await new Promise((resolve) => setTimeout(resolve, 60));
          running.set(job.target, count - 1);
          overall -= 1;
          return undefined;
        },
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(queue.enqueue({ type: 'TASK_DEPLOY', target: 'same' }).job.id);
      ids.push(queue.enqueue({ type: 'TASK_DEPLOY', target: `other-${i}` }).job.id);
    }
    pool.start();
    for (const id of ids) expect((await ended(store, id)).status).toBe('COMPLETE');
    expect(maxSameTarget).toBe(1);
    expect(maxOverall).toBeGreaterThan(1);
  });

  it('retries a retryable failure with backoff until it succeeds, counting attempts', async () => {
    let calls = 0;
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: async () => {
          calls += 1;
          if (calls < 3)
            throw new SlipwayError('SOURCE_UNAVAILABLE', 'connection reset', { retryable: true });
          return undefined;
        },
      },
    });
    pool.start();
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't', maxAttempts: 3 });
    const done = await ended(store, job.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.attempt).toBe(2);
    expect(logText(store, job.id)).toContain('attempt 1 of 3 failed: connection reset');
  });

  it('hands what an attempt kept to the next attempt, and clears it when the job ends', async () => {
    const seen: (Record<string, unknown> | null)[] = [];
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: async ({ job, keepProgress }) => {
          seen.push(job.progress);
          if (job.attempt === 0) {
            keepProgress({ applied: ['web'] });
            throw new SlipwayError('SOURCE_UNAVAILABLE', 'connection reset', { retryable: true });
          }
          return { result: { created: job.progress?.applied } };
        },
      },
      TASK_DEPLOY: {
        run: async ({ keepProgress }) => {
          keepProgress({ applied: ['job'] });
          throw new SlipwayError('MANIFEST_INVALID', 'bad manifest');
        },
      },
    });
    pool.start();
    const retried = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'a', maxAttempts: 2 }).job;
    const failed = queue.enqueue({ type: 'TASK_DEPLOY', target: 'b' }).job;
    const done = await ended(store, retried.id);
    expect(seen).toEqual([null, { applied: ['web'] }]);
    expect(done).toMatchObject({
      status: 'COMPLETE',
      result: { created: ['web'] },
      progress: null,
    });
    expect(await ended(store, failed.id)).toMatchObject({ status: 'ERROR', progress: null });
  });

  it('ends ERROR after maxAttempts, and does not retry what is not retryable', async () => {
    let retryableCalls = 0;
    let fatalCalls = 0;
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: async () => {
          retryableCalls += 1;
          throw new SlipwayError('SOURCE_UNAVAILABLE', 'still down', { retryable: true });
        },
      },
      TASK_DEPLOY: {
        run: async () => {
          fatalCalls += 1;
          throw new SlipwayError('MANIFEST_INVALID', 'bad manifest', {
            problems: [{ file: 'a/manifest.json', line: 2, message: 'x' }],
          });
        },
      },
    });
    pool.start();
    const retried = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'a', maxAttempts: 2 }).job;
    const fatal = queue.enqueue({ type: 'TASK_DEPLOY', target: 'b', maxAttempts: 5 }).job;
    const r = await ended(store, retried.id);
    const f = await ended(store, fatal.id);
    expect(r).toMatchObject({ status: 'ERROR', attempt: 1, exitCode: 1, message: 'still down' });
    expect(retryableCalls).toBe(2);
    expect(f).toMatchObject({ status: 'ERROR', attempt: 0, message: 'bad manifest' });
    expect(f.result).toMatchObject({ problems: [{ file: 'a/manifest.json', line: 2 }] });
    expect(fatalCalls).toBe(1);
  });

  it('returns the same job for the same delivery id', () => {
    const { queue, store } = harness({});
    const first = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't', deliveryId: 'd-1' });
    const again = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't', deliveryId: 'd-1' });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
    expect(store.listJobs({}, { offset: 0, limit: 10 }).total).toBe(1);
  });

  it('lets a newer queued job supersede an older queued one of the same target', () => {
    const { queue, store } = harness({});
    const older = queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      target: 'w',
      commitId: '1'.repeat(40),
      supersede: true,
    });
    const other = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'x', supersede: true });
    const newer = queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      target: 'w',
      commitId: '2'.repeat(40),
      supersede: true,
    });
    expect(newer.superseded.map((j) => j.id)).toEqual([older.job.id]);
    const stopped = store.getJob(older.job.id);
    expect(stopped?.status).toBe('STOPPED');
    expect(stopped?.message).toContain(`superseded by job ${newer.job.id}`);
    expect(store.getJob(other.job.id)?.status).toBe('QUEUED');
  });

  it('withdraws a RUNNING job: it ends STOPPED and its handler is aborted', async () => {
    let aborted = false;
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
      },
    });
    pool.start();
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't' });
    await eventually(
      async () => (store.getJob(job.id)?.status === 'RUNNING' ? true : undefined),
      'the job to run',
    );
    const stopped = queue.withdraw(job.id, 'alice@example.com');
    expect(stopped.status).toBe('STOPPED');
    await pool.settled(job.id);
    expect(aborted).toBe(true);
    const final = store.getJob(job.id);
    expect(final?.status).toBe('STOPPED');
    expect(final?.message).toBe('withdrawn by alice@example.com');
    expect(() => queue.withdraw(job.id, null)).toThrow(/STOPPED; only QUEUED or RUNNING/);
  });

  it('stops a job that runs past its timeout', async () => {
    const { queue, pool, store } = harness({
      WORKSPACE_DEPLOY: {
        run: ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('x'))),
          ),
        timeoutMs: () => 100,
      },
    });
    pool.start();
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't' });
    const done = await ended(store, job.id);
    expect(done.status).toBe('STOPPED');
    expect(done.message).toMatch(/timed out/);
  });

  it('requeues a RUNNING job whose lease lapsed (its process died) and runs it again', async () => {
    const store = createMemoryStore();
    const dead = new JobQueue(store, systemClock);
    const { job } = dead.enqueue({ type: 'WORKSPACE_DEPLOY', target: 't' });
    // A worker of a process that then died: it claimed the job with a short lease.
    const now = Date.now();
    expect(store.claimJob('dead-process', now, now + 50)?.id).toBe(job.id);
    let runs = 0;
    const { pool } = harness(
      {
        WORKSPACE_DEPLOY: {
          run: async () => {
            runs += 1;
            return undefined;
          },
        },
      },
      { store, owner: 'alive' },
    );
    await new Promise((resolve) => setTimeout(resolve, 80));
    pool.start('expired');
    const done = await ended(store, job.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.attempt).toBe(1);
    expect(runs).toBe(1);
    expect(logText(store, job.id)).toContain('the worker running this job stopped');
  });

  it("tells a handler's `ended` of each job that ends for good without completing, once", async () => {
    const told: Array<[string, string]> = [];
    const ended$ = (job: Job, end: JobEnd) => told.push([job.target, end.message]);
    const store = createMemoryStore();
    const dead = new JobQueue(store, systemClock);
    // Out of attempts when its process died: the sweep gives it up.
    const orphan = dead.enqueue({ type: 'ROLLOUT', target: 'orphan', maxAttempts: 1 }).job;
    const now = Date.now();
    expect(store.claimJob('dead-process', now, now + 20)?.id).toBe(orphan.id);
    let flaky = 0;
    const { queue, pool } = harness(
      {
        ROLLOUT: {
          run: async ({ job, signal }) => {
            if (job.target === 'fails') throw new SlipwayError('BAD_REQUEST', 'no such release');
            if (job.target === 'flaky') flaky += 1;
            if (job.target === 'flaky' && flaky === 1) {
              throw new SlipwayError('SOURCE_UNAVAILABLE', 'down for now', { retryable: true });
            }
            if (job.target === 'slow' || job.target === 'withdrawn') {
              await new Promise((resolve) => signal.addEventListener('abort', resolve));
            }
            return undefined;
          },
          timeoutMs: (job) => (job.target === 'slow' ? 50 : 60_000),
          ended: ended$,
        },
      },
      { store, owner: 'alive' },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    pool.start('expired');
    const jobs = ['fails', 'flaky', 'slow', 'withdrawn', 'fine'].map(
      (target) => queue.enqueue({ type: 'ROLLOUT', target, maxAttempts: 3 }).job,
    );
    const withdrawn = jobs[3] as Job;
    await eventually(
      () => store.getJob(withdrawn.id)?.status === 'RUNNING' || undefined,
      'running',
    );
    // Behind the running one on its target, this one is still queued when it is withdrawn.
    const superseded = queue.enqueue({ type: 'ROLLOUT', target: 'withdrawn', maxAttempts: 3 }).job;
    // Superseded, it is not told: the newer job of its target takes its place.
    const queued = queue.enqueue({
      type: 'ROLLOUT',
      target: 'withdrawn',
      maxAttempts: 3,
      supersede: true,
    }).job;
    expect(store.getJob(superseded.id)?.status).toBe('STOPPED');
    queue.withdraw(queued.id, 'a queued test');
    queue.withdraw(withdrawn.id, 'a running test');
    for (const job of [orphan, ...jobs, queued]) await ended(store, job.id);
    await eventually(() => told.length >= 5 || undefined, 'five ends told');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(told.sort()).toEqual([
      ['fails', 'no such release'],
      ['orphan', 'the worker running this job stopped 1 times; giving up'],
      ['slow', 'timed out after 0 s'],
      ['withdrawn', 'withdrawn by a queued test'],
      ['withdrawn', 'withdrawn by a running test'],
    ]);
    expect(store.getJob((jobs[1] as Job).id)?.status).toBe('COMPLETE');
  });
});
