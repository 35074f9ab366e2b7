import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO, type Reporting, startReporting } from './helpers/outbox-sender.js';
import { eventually } from './helpers/wait.js';

/**
 * A job deleted while it ran is withdrawn, then deleted with its log, at once; its last reports
 * to GitHub may still be waiting (GitHub answered 502 and the sender waits to try again). They
 * are sent all the same, from what was kept of the job when it was deleted: its check run ends
 * `cancelled` with the log's last lines, its deployment `error`, and neither stays in progress
 * (a required check in progress blocks a merge for ever).
 */
let reporting: Reporting;
beforeAll(async () => {
  reporting = await startReporting();
});
afterAll(async () => {
  await reporting?.close();
});

it('completes the check run and the deployment of a job deleted before they were sent', async () => {
  const { github } = reporting;
  const job = reporting.start();
  await eventually(
    () =>
      github.checkRuns(REPO).find((r) => r.external_id === job.id && r.status === 'in_progress') &&
      github
        .deployments(REPO)
        .find((d) => d.sha === job.commitId)
        ?.statuses.some((status) => status.state === 'in_progress'),
    'the check run and the deployment in progress',
  );
  // GitHub fails the next report of each; the sender will try again, after the job is gone.
  github.inject({ method: 'PATCH', path: /\/check-runs\//, status: 502 });
  github.inject({ method: 'POST', path: /\/deployments\/\d+\/statuses$/, status: 502 });
  const stopped = reporting.finish(job, 'STOPPED', { message: 'withdrawn by admin' }, [
    'migrating table 3 of 9',
    'last words before the stop',
  ]);
  reporting.remove(stopped);

  const run = await reporting.completed(job);
  expect(run.conclusion).toBe('cancelled');
  expect(run.output.text).toContain('last words before the stop');
  const deployment = await eventually(() => {
    const found = github.deployments(REPO).find((d) => d.sha === job.commitId);
    return found?.statuses.at(-1)?.state === 'error' ? found : undefined;
  }, 'the deployment to end in error');
  expect(deployment.statuses.at(-1)?.description).toBe('withdrawn by admin');
  // GitHub has the report a moment before the sender, which marks its entry once answered.
  for (const topic of ['github-check-run', 'github-deployment']) {
    await eventually(
      () => reporting.store.outboxOf(topic, job.id).at(-1)?.state === 'sent' || undefined,
      `the last ${topic} entry marked sent`,
    );
  }
});
