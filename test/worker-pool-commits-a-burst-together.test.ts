import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobQueue, WorkerPool } from '../core/jobs/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { type Job, silentLogger, systemClock } from '../core/types.js';
import { countCommits } from './helpers/count-commits.js';
import { eventually } from './helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The real SQLite store, counting the transactions it commits and able to make one job's
 * status change fail (as a full disk or a broken observer would).
 */
function countingStore(): { store: Store; commits: () => number; failFor: Set<string> } {
  const inner = openSqliteStore(
    path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-burst-')), 'slipway.db'),
  );
  const counted = countCommits(inner);
  const failFor = new Set<string>();
  const store: Store = {
    ...counted.store,
    updateJob(id, patch, expect) {
      if (patch.status === 'COMPLETE' && failFor.has(id)) {
        throw new Error(`injected failure for ${id}`);
      }
      return inner.updateJob(id, patch, expect);
    },
  };
  cleanups.push(() => inner.close());
  return { store, commits: counted.commits, failFor };
}

function pool(store: Store, workers: number): { queue: JobQueue; pool: WorkerPool } {
  const queue = new JobQueue(store, systemClock);
  const workerPool = new WorkerPool({
    store,
    queue,
    clock: systemClock,
    logger: silentLogger,
    owner: 'burst',
    workers,
    pollMs: 20,
    handlers: {
      TASK_DEPLOY: {
        run: async ({ job, log }) => {
          log(`deployed ${job.target}`);
          return { message: `${job.target} done` };
        },
      },
    },
  });
  cleanups.push(() => workerPool.stop(1000));
  return { queue, pool: workerPool };
}

/** `count` no-op deploys, queued: their ids. */
function enqueue(queue: JobQueue, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => queue.enqueue({ type: 'TASK_DEPLOY', target: `t-${i}` }).job.id,
  );
}

async function allEnded(store: Store, ids: string[]): Promise<Job[]> {
  return eventually(() => {
    const jobs = ids.map((id) => store.getJob(id) as Job);
    return jobs.every((job) => job.status !== 'QUEUED' && job.status !== 'RUNNING')
      ? jobs
      : undefined;
  }, 'every job to end');
}

describe('the worker pool under a burst of short jobs', () => {
  it('claims and completes them in shared commits, each job still whole', async () => {
    const { store, commits } = countingStore();
    const { queue, pool: workers } = pool(store, 8);
    const ids = enqueue(queue, 64);
    const before = commits();
    workers.start();
    const jobs = await allEnded(store, ids);
    for (const job of jobs) {
      expect(job).toMatchObject({ status: 'COMPLETE', message: `${job.target} done` });
      expect(store.readJobLogs(job.id, 0, 10).map((l) => l.line)).toEqual([
        'TASK_DEPLOY started (attempt 1 of 3)',
        `deployed ${job.target}`,
      ]);
    }
    // One commit per job for the claim and one for the end would be 128.
    expect(commits() - before).toBeLessThan(64);
  });

  it('commits the others when one job of a shared commit fails to end', async () => {
    const { store, failFor } = countingStore();
    const { queue, pool: workers } = pool(store, 4);
    const ids = enqueue(queue, 4);
    const broken = ids[1] as string;
    failFor.add(broken);
    workers.start();
    const jobs = await allEnded(store, ids);
    for (const job of jobs) {
      if (job.id === broken) {
        // Its end could not be written; it fails with the reason instead of vanishing.
        expect(job).toMatchObject({ status: 'ERROR', message: `injected failure for ${broken}` });
        expect(store.readJobLogs(job.id, 0, 10).map((l) => l.line)).toEqual([
          'TASK_DEPLOY started (attempt 1 of 3)',
          `deployed ${job.target}`,
          `TASK_DEPLOY failed: injected failure for ${broken}`,
        ]);
        continue;
      }
      expect(job.status).toBe('COMPLETE');
      expect(store.readJobLogs(job.id, 0, 10).map((l) => l.line)).toEqual([
        'TASK_DEPLOY started (attempt 1 of 3)',
        `deployed ${job.target}`,
      ]);
    }
  });
});
