import { describe, expect, it } from 'vitest';
import { originParams } from '../app/github/origin.js';
import { CHECK_RUN_TOPIC, DEPLOYMENT_TOPIC, recordReports } from '../app/github/record-reports.js';
import { JobQueue, observeJobChanges } from '../core/jobs/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { systemClock } from '../core/types.js';

function setup() {
  const inner = createMemoryStore();
  const store = observeJobChanges(
    inner,
    recordReports(inner, systemClock, () => {}),
  );
  const queue = new JobQueue(store, systemClock);
  const deploy = (sha: string) =>
    queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      target: 'workspace:shop',
      commitId: sha,
      supersede: true,
      params: {
        origin: originParams({
          installationId: 7,
          repository: 'acme/shop',
          headSha: sha,
          kind: 'deploy',
          checkName: 'Slipway / shop',
          environment: 'shop',
        }),
      },
    }).job;
  const statuses = (topic: string, jobId: string) =>
    inner.outboxOf(topic, jobId).map((entry) => (entry.payload as { status: string }).status);
  return { store, queue, deploy, statuses };
}

describe('GitHub reports recorded with job changes', () => {
  it('reports a check run for every status, and a deployment only once the deploy started', () => {
    const { store, deploy, statuses } = setup();
    const job = deploy('a'.repeat(40));
    const claimed = store.claimJob('worker', Date.now(), Date.now() + 30_000);
    expect(claimed?.id).toBe(job.id);
    store.updateJob(job.id, { status: 'COMPLETE', endTime: new Date().toISOString() });
    expect(statuses(CHECK_RUN_TOPIC, job.id)).toEqual(['QUEUED', 'RUNNING', 'COMPLETE']);
    expect(statuses(DEPLOYMENT_TOPIC, job.id)).toEqual(['RUNNING', 'COMPLETE']);
  });

  it('cancels the check run of a deploy superseded while queued, with no deployment for it', () => {
    const { deploy, statuses } = setup();
    const older = deploy('b'.repeat(40));
    const newer = deploy('c'.repeat(40));
    expect(statuses(CHECK_RUN_TOPIC, older.id)).toEqual(['QUEUED', 'STOPPED']);
    expect(statuses(DEPLOYMENT_TOPIC, older.id)).toEqual([]);
    expect(statuses(CHECK_RUN_TOPIC, newer.id)).toEqual(['QUEUED']);
  });

  it('still ends the deployment of a deploy withdrawn while it runs', () => {
    const { store, queue, deploy, statuses } = setup();
    const job = deploy('d'.repeat(40));
    store.claimJob('worker', Date.now(), Date.now() + 30_000);
    queue.withdraw(job.id, 'someone');
    expect(statuses(DEPLOYMENT_TOPIC, job.id)).toEqual(['RUNNING', 'STOPPED']);
  });

  it('reports a deploy of a branch head from the moment its commit is set, and a push only by status', () => {
    const { store, queue, deploy, statuses } = setup();
    const head = queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      target: 'workspace:api',
      params: {
        origin: originParams({
          installationId: 7,
          repository: 'acme/api',
          kind: 'deploy',
          checkName: 'Slipway / api',
          environment: 'api',
        }),
      },
    }).job;
    store.claimJob('worker', Date.now(), Date.now() + 30_000);
    // Queued and claimed with no commit: nothing to report on yet.
    expect(statuses(CHECK_RUN_TOPIC, head.id)).toEqual([]);
    store.updateJob(head.id, { commitId: 'e'.repeat(40) });
    expect(statuses(CHECK_RUN_TOPIC, head.id)).toEqual(['RUNNING']);
    expect(statuses(DEPLOYMENT_TOPIC, head.id)).toEqual(['RUNNING']);
    store.updateJob(head.id, { status: 'COMPLETE', endTime: new Date().toISOString() });
    expect(statuses(CHECK_RUN_TOPIC, head.id)).toEqual(['RUNNING', 'COMPLETE']);

    const push = deploy('f'.repeat(40));
    store.claimJob('worker', Date.now(), Date.now() + 30_000);
    store.updateJob(push.id, { commitId: 'f'.repeat(40) });
    expect(statuses(CHECK_RUN_TOPIC, push.id)).toEqual(['QUEUED', 'RUNNING']);
  });
});
