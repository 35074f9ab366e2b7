import type { JobChangeListener } from '../../core/jobs/index.js';
import type { Store } from '../../core/store/types.js';
import {
  type Clock,
  isoTime,
  type Job,
  type JobLogLine,
  type Workspace,
} from '../../core/types.js';
import { workspaceTarget } from '../../core/workspaces/index.js';
import { LOG_TAIL_LINES } from './check-run-update.js';
import { githubOriginOf, keptOriginOf } from './origin.js';

export const CHECK_RUN_TOPIC = 'github-check-run';
export const DEPLOYMENT_TOPIC = 'github-deployment';

/**
 * What Slipway keeps of a job's reports on GitHub (the `github-reports` record of the job): the
 * check run and deployment it made there and, once the job is deleted, the job and its last
 * log lines, for the reports still to be sent: a job deleted while it ran, or while its last
 * report waited for a retry, still completes its check run and deployment.
 */
export interface GitHubReport {
  checkRunId?: number;
  deploymentId?: number;
  deleted?: { job: Job; logTail: JobLogLine[] };
}
export const REPORTS = 'github-reports';

/**
 * Adds `change` to a job's report record as it is now (read in the same transaction): the
 * sender writes ids after requests to GitHub, and the job may have been deleted meanwhile.
 */
export function changeReport(
  store: Store,
  jobId: string,
  repository: string,
  change: GitHubReport,
): void {
  store.transaction(() => {
    const report = store.getRecord<GitHubReport>(REPORTS, jobId) ?? {};
    store.putRecord(REPORTS, jobId, repository, { ...report, ...change });
  });
}

/**
 * The job change listener that reports to GitHub: for a job that reports there, each status it
 * reaches becomes an outbox entry for its check run (and, for deploys that ran, one for its
 * GitHub deployment), written in the transaction of the change. A deploy of a branch head has
 * nothing to report on until its commit is set: then its status so far is reported. `wake`
 * tells the sender.
 */
export function recordReports(store: Store, clock: Clock, wake: () => void): JobChangeListener {
  return (job, change) => {
    if (change === 'deleting') {
      const origin = githubOriginOf(job);
      if (!origin) return;
      const logTail = store.readJobLogTail(job.id, LOG_TAIL_LINES);
      changeReport(store, job.id, origin.repository, { deleted: { job, logTail } });
      return;
    }
    // A commit set on a job that knew it from the start changes nothing on GitHub.
    if (change === 'commit' && keptOriginOf(job)?.headSha) return;
    const origin = githubOriginOf(job);
    if (!origin) return;
    const now = clock.now();
    const entry = { key: job.id, created: isoTime(now), nextAttempt: now };
    store.addOutbox({ ...entry, topic: CHECK_RUN_TOPIC, payload: { status: job.status } });
    // A GitHub deployment starts when the deploy does: one stopped (superseded, withdrawn)
    // before it ever started has none, and asking GitHub for it would only spend its API.
    if (origin.kind === 'deploy' && job.status !== 'QUEUED' && job.startTime !== null) {
      store.addOutbox({ ...entry, topic: DEPLOYMENT_TOPIC, payload: { status: job.status } });
    }
    // After the transaction commits: the sender must not read before the entry is there.
    setImmediate(wake);
  };
}

/** Deploys of a deleted workspace looked through, newest first, for one GitHub knows of. */
const RECENT_DEPLOYS = 50;

/**
 * The listener of deleted workspaces (`WorkspaceServiceDeps.deleted`) that tells GitHub: the
 * GitHub deployments of its latest deploys that are still active get an `inactive` status, as
 * nothing runs there any more (a pull request's preview removed when it closed, or a workspace
 * deleted). Written to the outbox in the delete's transaction, keyed by its latest deploy that
 * reported a GitHub deployment, with those deploys' ids (another workspace's deployments to an
 * environment of the same name are not its own); none when no deploy of it reported one.
 */
export function recordRetirements(
  store: Store,
  clock: Clock,
  wake: () => void,
): (workspace: Workspace) => void {
  return (workspace) => {
    // Deploys only (their target is the workspace's): plans report no deployment.
    const deploys = store.listJobs(
      { target: workspaceTarget(workspace.id), type: 'WORKSPACE_DEPLOY' },
      { offset: 0, limit: RECENT_DEPLOYS },
    ).items;
    const reported = deploys.filter(
      (job) => job.startTime !== null && githubOriginOf(job)?.kind === 'deploy',
    );
    const [latest] = reported;
    if (!latest) return;
    const now = clock.now();
    store.addOutbox({
      key: latest.id,
      created: isoTime(now),
      nextAttempt: now,
      topic: DEPLOYMENT_TOPIC,
      payload: { status: latest.status, inactive: reported.map((job) => job.id) },
    });
    setImmediate(wake);
  };
}
