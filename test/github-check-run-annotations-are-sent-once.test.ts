import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, type Reporting, startReporting } from './helpers/outbox-sender.js';
import { eventually } from './helpers/wait.js';

const problems = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    file: `tasks/t${i}/manifest.json`,
    line: i + 1,
    path: 'type',
    message: `problem ${i}`,
  }));

/**
 * A path pattern the fault injector takes for the `n`th request it is asked about only: the
 * injector matches a fault by calling `test`, once per request of the fault's method.
 */
function nth(n: number, pattern: RegExp): RegExp {
  let seen = 0;
  const only = new RegExp(pattern.source);
  only.test = (path: string) => pattern.test(path) && ++seen === n;
  return only;
}

const updates = new RegExp(`^/repos/${REPO}/check-runs/\\d+$`);

describe('annotations past the first 50, when GitHub fails one of their requests', () => {
  let reporting: Reporting;
  beforeAll(async () => {
    reporting = await startReporting();
  });
  afterAll(async () => {
    await reporting?.close();
  });

  it('are each stored once after the report is sent again (500 on the last batch)', async () => {
    const { github } = reporting;
    const job = reporting.start();
    const running = await eventually(
      () => github.checkRuns(REPO).find((r) => r.external_id === job.id),
      'the in-progress check run',
    );
    // The completing update (and the first 50), then 50 more, then the last 20: that one fails.
    github.inject({ method: 'PATCH', path: nth(3, updates), status: 500 });
    reporting.finish(job, 'ERROR', {
      message: 'invalid manifests',
      result: { problems: problems(120) },
    });
    const run = await reporting.completed(job);
    expect(run.id).toBe(running.id);
    expect(run.conclusion).toBe('failure');
    expect(run.output.annotations.map((a) => a.message)).toEqual(
      problems(120).map((p) => p.message),
    );
    const patches = github.requests.filter(
      (r) => r.method === 'PATCH' && r.path === `/repos/${REPO}/check-runs/${run.id}`,
    );
    // Sent again, the report completes the run with the 20 GitHub does not have yet.
    expect(patches.map((r) => r.status)).toEqual([200, 200, 500, 200]);
  });

  it('are each stored once when the request that fails is the first after the create', async () => {
    const { github } = reporting;
    // The job ends before its check run is made: created with the first 50, then 50, then 20.
    github.inject({ method: 'PATCH', path: nth(1, updates), status: 502 });
    const job = reporting.deploy('ERROR', {
      message: 'invalid manifests',
      result: { problems: problems(120) },
    });
    const run = await reporting.completed(job);
    expect(run.conclusion).toBe('failure');
    expect(run.output.annotations).toHaveLength(120);
    expect(new Set(run.output.annotations.map((a) => a.message)).size).toBe(120);
  });
});
