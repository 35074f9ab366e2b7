import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO, type Reporting, startReporting } from './helpers/outbox-sender.js';

/**
 * A job's check run may be on GitHub without its id recorded here (Slipway died between the
 * create and the record, or GitHub stored a create it answered too late). The sender finds it
 * again by its external_id before it creates one. GitHub lists only the latest run of a name on
 * a commit unless asked for all: when a later run of the same name is on that commit (a re-run,
 * a rollback of the commit), the job's own run was missed, and a second one made for it, the
 * first left in progress for good.
 */
let reporting: Reporting;
beforeAll(async () => {
  reporting = await startReporting();
});
afterAll(async () => {
  await reporting?.close();
});

it('finds the job’s own run behind a later run of the same name, and makes no second one', async () => {
  await reporting.sender.stop(0);
  const job = reporting.start();
  const octokit = await reporting.octokit();
  const [owner, repo] = REPO.split('/');
  const create = (externalId: string) =>
    octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      owner,
      repo,
      name: 'Slipway / shop',
      head_sha: job.commitId,
      external_id: externalId,
      status: 'in_progress',
    });
  // The job's own run, made before its id could be recorded, then a later one of the name.
  const own = (await create(job.id)).data.id as number;
  await create('a-later-run');

  reporting.restart();
  reporting.finish(job, 'COMPLETE');
  const run = await reporting.completed(job);
  expect(run.id).toBe(own);
  expect(run.conclusion).toBe('success');
  expect(reporting.github.checkRuns(REPO).filter((r) => r.external_id === job.id)).toHaveLength(1);
});
