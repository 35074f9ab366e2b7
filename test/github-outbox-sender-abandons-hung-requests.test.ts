import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_RUN_TOPIC } from '../app/github/record-reports.js';
import { REPO, type Reporting, startReporting } from './helpers/outbox-sender.js';
import { eventually } from './helpers/wait.js';

const creates = (reporting: Reporting) =>
  reporting.github.requests.filter(
    (r) => r.method === 'POST' && r.path === `/repos/${REPO}/check-runs`,
  );

describe('a request GitHub never answers', () => {
  let reporting: Reporting;
  beforeAll(async () => {
    // Short, but longer than a write to the fake GitHub takes on a busy machine.
    reporting = await startReporting({ requestTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await reporting?.close();
  });

  it('is abandoned after the request timeout and retried, and the reports behind it go on', async () => {
    const { github, logger } = reporting;
    // Held until the test ends: GitHub took the request and never answers it.
    github.inject({ method: 'POST', path: `/repos/${REPO}/check-runs`, hold: true });
    const first = reporting.deploy('COMPLETE');
    const second = reporting.deploy('COMPLETE');
    const started = Date.now();
    const [firstRun, secondRun] = await Promise.all([
      reporting.completed(first),
      reporting.completed(second),
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(firstRun.conclusion).toBe('success');
    expect(secondRun.conclusion).toBe('success');
    const timedOut = logger.lines.find((l) => l.msg === 'GitHub report failed; retrying');
    expect(timedOut?.obj).toMatchObject({
      jobId: first.id,
      reason: 'POST /repos/{owner}/{repo}/check-runs: no answer from GitHub within 2000 ms',
    });
  });

  it('does not hold up stop(): the report is left for the next start, which sends it', async () => {
    const { github, store } = reporting;
    github.inject({ method: 'POST', path: `/repos/${REPO}/check-runs`, hold: true });
    const before = creates(reporting).length;
    const job = reporting.deploy('COMPLETE');
    await eventually(
      () => (creates(reporting).length > before ? true : undefined),
      'the held create',
    );
    const stopping = Date.now();
    await reporting.sender.stop(100);
    expect(Date.now() - stopping).toBeLessThan(400);
    const [entry] = store.outboxOf(CHECK_RUN_TOPIC, job.id).slice(-1);
    expect(entry).toMatchObject({ state: 'pending', attempts: 0 });

    reporting.restart();
    expect((await reporting.completed(job)).conclusion).toBe('success');
  });
});
