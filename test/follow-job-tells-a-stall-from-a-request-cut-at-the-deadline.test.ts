import { describe, expect, it } from 'vitest';
import { followJob, type JobSource, restJobSource } from '../core/jobs/index.js';

const sink = { info() {}, startGroup() {}, endGroup() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A running job whose log never grows. Reads of its state after the first take `readMs` (or
 * never answer, `readMs` Infinity); a held request for lines answers at once, as a server does
 * that holds whole seconds and was asked for none.
 */
function runningJob(readMs: number): JobSource {
  let reads = 0;
  return {
    async job(id) {
      reads += 1;
      if (reads > 1) await (Number.isFinite(readMs) ? sleep(readMs) : new Promise(() => {}));
      return { id, type: 'TASK_DEPLOY', status: 'RUNNING' };
    },
    async logs(_id, sequence) {
      return { lines: [], next: sequence };
    },
    async awaitLogs(_id, sequence) {
      return { lines: [], next: sequence };
    },
  };
}

describe('following a job up to its timeout', () => {
  it('is not stalled when the deadline cuts a read sent just before it', async () => {
    // Reads of 300 ms back to back: the deadline meets one in flight, sent under 300 ms before.
    const { job, timedOut, stalled } = await followJob(runningJob(300), 'j', sink, {
      timeoutMs: 1200,
    });
    expect(timedOut).toBe(true);
    expect(job.status).toBe('RUNNING');
    expect(stalled).toBeUndefined();
  });

  it('is stalled when the deadline cuts a read that went unanswered for a second or more', async () => {
    const { job, timedOut, stalled } = await followJob(runningJob(Infinity), 'j', sink, {
      timeoutMs: 1500,
    });
    expect(timedOut).toBe(true);
    expect(job.status).toBe('RUNNING');
    expect(stalled).toBe(true);
  });
});

describe('a REST job source holding a request for the next line', () => {
  it('asks the server to hold it at least as long as the follower waits, in whole seconds', async () => {
    const asked: string[] = [];
    const source = restJobSource(async (path) => {
      asked.push(path);
      return { status: 204, headers: { get: () => null }, body: null };
    });
    for (const waitMs of [300, 1000, 1001, 10_000]) await source.awaitLogs?.('j', 7, waitMs);
    expect(asked.map((path) => new URL(path, 'http://x').searchParams.get('wait'))).toEqual([
      '1',
      '1',
      '2',
      '10',
    ]);
  });
});
