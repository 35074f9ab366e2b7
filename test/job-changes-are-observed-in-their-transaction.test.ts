import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { JobQueue, observeJobChanges, WorkerPool } from '../core/jobs/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { isoTime, type Job, silentLogger, systemClock } from '../core/types.js';
import { eventually } from './helpers/wait.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const factories: Array<[string, () => Store]> = [
  ['memory', () => createMemoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-observe-'));
      const store = openSqliteStore(path.join(dir, 'slipway.db'));
      cleanups.push(() => {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
];

describe.each(factories)('job changes on the %s store', (_name, factory) => {
  it('are seen with each status, and what the listener writes commits with them', async () => {
    const seen: string[] = [];
    const inner = factory();
    const store = observeJobChanges(inner, (job: Job) => {
      seen.push(job.status);
      inner.addOutbox({
        topic: 'test',
        key: job.id,
        payload: { status: job.status },
        created: isoTime(0),
        nextAttempt: 0,
      });
    });
    const queue = new JobQueue(store, systemClock);
    const pool = new WorkerPool({
      store,
      queue,
      clock: systemClock,
      logger: silentLogger,
      owner: 'test',
      workers: 1,
      pollMs: 10,
      handlers: {
        WORKSPACE_DEPLOY: { run: async () => ({ message: 'done' }) },
        TASK_DEPLOY: {
          run: async () => {
            throw new SlipwayError('BAD_REQUEST', 'invalid');
          },
        },
      },
    });
    cleanups.push(() => pool.stop(1000));
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'a' });
    const { job: failing } = queue.enqueue({ type: 'TASK_DEPLOY', target: 'b' });
    pool.start();
    await eventually(
      async () => (store.getJob(failing.id)?.status === 'ERROR' ? true : undefined),
      'the failing job to end',
    );
    expect(store.outboxOf('test', job.id).map((e) => e.payload.status)).toEqual([
      'QUEUED',
      'RUNNING',
      'COMPLETE',
    ]);
    expect(store.outboxOf('test', failing.id).map((e) => e.payload.status)).toEqual([
      'QUEUED',
      'RUNNING',
      'ERROR',
    ]);
    // Heartbeats change no status: they are not reported.
    expect(seen).toHaveLength(6);
  });

  it('roll back with the listener: a throwing listener leaves the job as it was', () => {
    const inner = factory();
    let fail = false;
    const store = observeJobChanges(inner, () => {
      if (fail) throw new Error('outbox full');
    });
    const queue = new JobQueue(store, systemClock);
    const { job } = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'a' });
    fail = true;
    expect(() => queue.withdraw(job.id, 'me')).toThrow('outbox full');
    expect(inner.getJob(job.id)?.status).toBe('QUEUED');
    expect(() => queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'a' })).toThrow('outbox full');
    expect(inner.listJobs({}, { offset: 0, limit: 10 }).total).toBe(1);
  });

  it('include jobs stopped by supersession', () => {
    const seen: Array<[string, string]> = [];
    const store = observeJobChanges(factory(), (job) => seen.push([job.id, job.status]));
    const queue = new JobQueue(store, systemClock);
    const older = queue.enqueue({ type: 'WORKSPACE_DEPLOY', target: 'w', commitId: 'a' }).job;
    const newer = queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      target: 'w',
      commitId: 'b',
      supersede: true,
    }).job;
    expect(seen).toEqual([
      [older.id, 'QUEUED'],
      [older.id, 'STOPPED'],
      [newer.id, 'QUEUED'],
    ]);
  });
});
