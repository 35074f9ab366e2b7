import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_TOPIC } from '../app/github/record-reports.js';
import { REPO, type Reporting, startReporting } from './helpers/outbox-sender.js';
import { eventually } from './helpers/wait.js';

const problems = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    file: `tasks/t${i}/manifest.json`,
    line: i + 1,
    path: 'type',
    message: `"type" is "cronjob"; expected one of job, deployment, service`,
  }));

describe('a check run GitHub refuses to complete with the full report (422)', () => {
  let reporting: Reporting;
  beforeAll(async () => {
    reporting = await startReporting();
  });
  afterAll(async () => {
    await reporting?.close();
  });

  it('is completed with a brief report: the conclusion and the job', async () => {
    const { github } = reporting;
    const job = reporting.start();
    const running = await eventually(
      () => github.checkRuns(REPO).find((r) => r.external_id === job.id),
      'the in-progress check run',
    );
    expect(running.status).toBe('in_progress');
    github.inject({
      method: 'PATCH',
      path: `/repos/${REPO}/check-runs/${running.id}`,
      status: 422,
    });
    reporting.finish(job, 'COMPLETE', { result: { namespace: 'shop', created: [] } }, ['done']);
    const run = await reporting.completed(job);
    expect(run).toMatchObject({ conclusion: 'success', output: { title: 'Succeeded' } });
    expect(run.output.summary).toContain(`Slipway job \`${job.id}\`.`);
    expect(run.output.summary).toContain('GitHub refused the full report');
    expect(
      reporting.logger.lines.some(
        (l) => l.msg === 'GitHub refused the check run report; completing it with a brief one',
      ),
    ).toBe(true);
  });

  it('creates a completed run with a brief report, without the annotations GitHub refused', async () => {
    const { github } = reporting;
    github.inject({ method: 'POST', path: `/repos/${REPO}/check-runs`, status: 422 });
    const job = reporting.deploy('ERROR', {
      message: 'invalid manifests',
      result: { problems: problems(60) },
    });
    const run = await reporting.completed(job);
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Failed' } });
    expect(run.output.annotations).toEqual([]);
  });

  it('is completed with no output at all when GitHub refuses the brief one too', async () => {
    const { github } = reporting;
    github.inject({ method: 'POST', path: `/repos/${REPO}/check-runs`, status: 422, times: 2 });
    const job = reporting.deploy('STOPPED', { message: 'withdrawn by someone' });
    const run = await reporting.completed(job);
    expect(run.conclusion).toBe('cancelled');
    expect(run.output.title).toBeNull();
  });

  it('gives up on a 422 for a report that does not complete the run: a later one says more', async () => {
    const { github, store } = reporting;
    github.inject({ method: 'POST', path: `/repos/${REPO}/check-runs`, status: 422 });
    const job = reporting.start();
    await eventually(
      () => (store.outboxOf(DEPLOYMENT_TOPIC, job.id)[0]?.state === 'sent' ? true : undefined),
      'the GitHub deployment of the running job',
    );
    expect(github.checkRuns(REPO).find((r) => r.external_id === job.id)).toBeUndefined();
    reporting.finish(job, 'COMPLETE');
    expect((await reporting.completed(job)).conclusion).toBe('success');
  });
});
