import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobQueue, WorkerPool } from '../core/jobs/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { type Job, silentLogger, systemClock } from '../core/types.js';
import { eventually } from './helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openStore(): Store {
  const store = openSqliteStore(
    path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-hung-')), 'slipway.db'),
  );
  cleanups.push(() => store.close());
  return store;
}

/**
 * A pool whose TASK_DEPLOY handler hangs for good, deaf to its abort, when the job's params say
 * `hang` (as a call to a Kubernetes API server that never answers does), and completes otherwise.
 */
function pool(
  store: Store,
  options: { windDownMs: number; timeoutMs?: number; ended?: Array<[string, string]> },
) {
  const queue = new JobQueue(store, systemClock);
  const workerPool = new WorkerPool({
    store,
    queue,
    clock: systemClock,
    logger: silentLogger,
    owner: 'hung',
    workers: 3,
    pollMs: 20,
    windDownMs: options.windDownMs,
    handlers: {
      TASK_DEPLOY: {
        run: async ({ job, log }) => {
          if (job.params.hang) await new Promise(() => {});
          log(`deployed ${job.target}`);
          return { message: 'done' };
        },
        ...(options.timeoutMs ? { timeoutMs: () => options.timeoutMs as number } : {}),
        ended: (job, end) => options.ended?.push([job.id, end.status]),
      },
    },
  });
  return { queue, pool: workerPool };
}

const job = (store: Store, id: string) => store.getJob(id) as Job;
const log = (store: Store, id: string) =>
  store
    .readJobLogs(id, 0, 1000)
    .map((l) => l.line)
    .join('\n');

async function status(store: Store, id: string, wanted: Job['status']): Promise<Job> {
  return eventually(() => {
    const found = job(store, id);
    return found.status === wanted ? found : undefined;
  }, `job ${id} to be ${wanted}`);
}

describe('a handler that never returns', () => {
  it('does not keep the next job of its target waiting for good once withdrawn', async () => {
    const store = openStore();
    const { queue, pool: workers } = pool(store, { windDownMs: 400 });
    workers.start();
    cleanups.push(() => workers.stop(0, 200));
    const first = queue.enqueue({ type: 'TASK_DEPLOY', target: 't', params: { hang: true } }).job;
    await status(store, first.id, 'RUNNING');
    queue.withdraw(first.id, 'tester');
    const second = queue.enqueue({ type: 'TASK_DEPLOY', target: 't' }).job;
    const done = await status(store, second.id, 'COMPLETE');
    expect(log(store, second.id)).toMatch(/deployed t/);
    expect(log(store, first.id)).toMatch(
      /the handler of this job was abandoned: it did not stop within 0.4 s of being withdrawn/,
    );
    expect(job(store, first.id).status).toBe('STOPPED');
    expect(Date.parse(done.endTime as string) - Date.parse(first.created)).toBeLessThan(10_000);
    // The settled promise (what DELETE /api/jobs/{id} waits on) resolves too.
    await workers.settled(first.id);
  });

  it('ends STOPPED at its timeout even when it ignores the abort', async () => {
    const store = openStore();
    const ended: Array<[string, string]> = [];
    const { queue, pool: workers } = pool(store, { windDownMs: 300, timeoutMs: 300, ended });
    workers.start();
    cleanups.push(() => workers.stop(0, 200));
    const hung = queue.enqueue({ type: 'TASK_DEPLOY', target: 't', params: { hang: true } }).job;
    const stopped = await status(store, hung.id, 'STOPPED');
    expect(stopped.message).toBe('timed out after 0 s');
    expect(ended).toEqual([[hung.id, 'STOPPED']]);
    // Its target is free again.
    const next = queue.enqueue({ type: 'TASK_DEPLOY', target: 't' }).job;
    await status(store, next.id, 'COMPLETE');
  });

  it('counts a waiting job’s time from its claim, and a withdraw ends the wait at once', async () => {
    const store = openStore();
    const { queue, pool: workers } = pool(store, { windDownMs: 60_000, timeoutMs: 60_000 });
    workers.start();
    cleanups.push(() => workers.stop(0, 200));
    const hung = queue.enqueue({ type: 'TASK_DEPLOY', target: 't', params: { hang: true } }).job;
    await status(store, hung.id, 'RUNNING');
    queue.withdraw(hung.id, 'tester');
    const waiting = queue.enqueue({ type: 'TASK_DEPLOY', target: 't' }).job;
    await status(store, waiting.id, 'RUNNING');
    await eventually(
      () => /waiting for the previous job of this target/.test(log(store, waiting.id)) || undefined,
      'the waiting line',
    );
    const started = Date.now();
    queue.withdraw(waiting.id, 'tester');
    await workers.settled(waiting.id);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a job that waited too long for the previous one of its target', async () => {
    const store = openStore();
    const { queue, pool: workers } = pool(store, { windDownMs: 60_000, timeoutMs: 500 });
    workers.start();
    cleanups.push(() => workers.stop(0, 200));
    const hung = queue.enqueue({ type: 'TASK_DEPLOY', target: 't', params: { hang: true } }).job;
    await status(store, hung.id, 'RUNNING');
    queue.withdraw(hung.id, 'tester');
    const waiting = queue.enqueue({ type: 'TASK_DEPLOY', target: 't' }).job;
    const stopped = await status(store, waiting.id, 'STOPPED');
    expect(stopped.message).toBe('timed out after 1 s');
  });

  it('costs a job that never started no attempt at a shutdown', async () => {
    const store = openStore();
    const { queue, pool: workers } = pool(store, { windDownMs: 60_000 });
    workers.start();
    const hung = queue.enqueue({ type: 'TASK_DEPLOY', target: 't', params: { hang: true } }).job;
    await status(store, hung.id, 'RUNNING');
    queue.withdraw(hung.id, 'tester');
    const waiting = queue.enqueue({ type: 'TASK_DEPLOY', target: 't' }).job;
    await status(store, waiting.id, 'RUNNING');
    const other = queue.enqueue({
      type: 'TASK_DEPLOY',
      target: 'u',
      params: { hang: true },
    }).job;
    await status(store, other.id, 'RUNNING');
    await workers.stop(0, 200);
    const requeued = job(store, waiting.id);
    expect(requeued).toMatchObject({ status: 'QUEUED', attempt: 0, leaseOwner: null });
    expect(log(store, waiting.id)).toMatch(/shutting down before this job started/);
    // One that ignored the shutdown is put back too, its lease released for the next start.
    expect(job(store, other.id)).toMatchObject({ status: 'QUEUED', attempt: 0, leaseOwner: null });
    expect(log(store, other.id)).toMatch(/did not stop within 0.2 s of the shutdown/);
  });
});
