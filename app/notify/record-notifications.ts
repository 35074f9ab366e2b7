import type { JobChangeListener } from '../../core/jobs/index.js';
import type { Store } from '../../core/store/types.js';
import {
  type Clock,
  isoTime,
  type Job,
  type JobType,
  TERMINAL_JOB_STATUSES,
  type Workspace,
} from '../../core/types.js';
import { maskSecrets } from '../github/mask-secrets.js';

export const NOTIFICATION_TOPIC = 'notification';

/** Which ends are told: failures (and the first success after one), or every end. */
export type NotifyOn = 'failures' | 'all';

/** What became of a job, as a notification says it. */
export type NotificationOutcome = 'failed' | 'recovered' | 'succeeded' | 'stopped';

/** What is POSTed to `SLIPWAY_NOTIFY_URL` for a job that ended. */
export interface Notification {
  /** One line for a chat (Slack, Teams and Mattermost incoming webhooks show `text`). */
  text: string;
  event: 'job.ended';
  outcome: NotificationOutcome;
  /** What the job acted on: `workspace 'shop'`, `task team/etl`, `pipeline team/nightly`... */
  subject: string;
  job: {
    id: string;
    type: JobType;
    status: Job['status'];
    message: string | null;
    commitId: string | null;
    attempt: number;
    maxAttempts: number;
    created: string;
    startTime: string | null;
    endTime: string | null;
    identity: string | null;
    /** The job's page on the dashboard, with SLIPWAY_PUBLIC_URL set. */
    url: string | null;
  };
  workspace: { id: string; name: string; namespace: string; branch: string } | null;
}

/** Jobs whose ends are news: deploys, pipeline runs and rollouts, not config loads or plans. */
const TOLD: ReadonlySet<JobType> = new Set<JobType>([
  'WORKSPACE_DEPLOY',
  'TASK_DEPLOY',
  'PIPELINE_RUN',
  'ROLLOUT',
]);

const SYMBOL: Record<NotificationOutcome, string> = {
  failed: '❌',
  recovered: '✅',
  succeeded: '✅',
  stopped: '⏹️',
};

export interface NotifySettings {
  on: NotifyOn;
  /** SLIPWAY_PUBLIC_URL: the notification links to the job's page there. */
  publicUrl?: string;
}

/**
 * The job change listener that notifies: a job that ended (and had started: one superseded,
 * held by a pause or withdrawn while queued ran nothing) becomes an outbox entry of its
 * notification, written in the transaction of the change, so it is sent once even across a
 * crash. `wake` tells the sender.
 */
export function recordNotifications(
  store: Store,
  clock: Clock,
  settings: NotifySettings,
  wake: () => void,
): JobChangeListener {
  return (job, change) => {
    if (change !== 'status' || !TERMINAL_JOB_STATUSES.includes(job.status)) return;
    if (!TOLD.has(job.type) || job.params.plan === true || job.startTime === null) return;
    const outcome = outcomeOf(store, job, settings.on);
    if (!outcome) return;
    const now = clock.now();
    store.addOutbox({
      topic: NOTIFICATION_TOPIC,
      key: job.id,
      payload: notificationOf(store, job, outcome, settings) as unknown as Record<string, unknown>,
      created: isoTime(now),
      nextAttempt: now,
    });
    // After the transaction commits: the sender must not read before the entry is there.
    setImmediate(wake);
  };
}

/** Whether `job`'s end is told, and how: null when it is not news under `on`. */
function outcomeOf(store: Store, job: Job, on: NotifyOn): NotificationOutcome | null {
  if (job.status === 'ERROR') return 'failed';
  if (job.status === 'STOPPED') return on === 'all' ? 'stopped' : null;
  // The last end of the same target before this one: a success after a failure is news.
  const before = store
    .listJobs(
      { target: job.target, type: job.type, status: ['COMPLETE', 'ERROR'] },
      { offset: 0, limit: 2 },
    )
    .items.find((other) => other.id !== job.id && other.created <= job.created);
  if (before?.status === 'ERROR') return 'recovered';
  return on === 'all' ? 'succeeded' : null;
}

function notificationOf(
  store: Store,
  job: Job,
  outcome: NotificationOutcome,
  settings: NotifySettings,
): Notification {
  const workspace = job.workspaceId ? store.getWorkspace(job.workspaceId) : undefined;
  const subject = subjectOf(job, workspace);
  // A job's message may quote what a workload printed: what looks like a secret is masked.
  const message = job.message
    ? maskSecrets(job.message, workspace ? [workspace.deploymentSecret] : [])
    : null;
  const url = settings.publicUrl ? `${settings.publicUrl}/jobs/${job.id}` : null;
  const at = job.commitId ? ` at ${job.commitId.slice(0, 7)}` : '';
  const what = `${verbOf(job)} of ${subject}${at}`;
  const said = {
    failed: `${what} failed${message ? `: ${message}` : ''}`,
    recovered: `${what} succeeded; the last one had failed`,
    succeeded: `${what} succeeded`,
    stopped: `${what} was stopped${message ? `: ${message}` : ''}`,
  }[outcome];
  return {
    text: `${SYMBOL[outcome]} ${said}${url ? ` (${url})` : ''}`,
    event: 'job.ended',
    outcome,
    subject,
    job: {
      id: job.id,
      type: job.type,
      status: job.status,
      message,
      commitId: job.commitId,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      created: job.created,
      startTime: job.startTime,
      endTime: job.endTime,
      identity: job.identity,
      url,
    },
    workspace: workspace
      ? {
          id: workspace.id,
          name: workspace.name,
          namespace: workspace.namespace,
          branch: workspace.branch,
        }
      : null,
  };
}

function verbOf(job: Job): string {
  if (job.type === 'PIPELINE_RUN') return 'Run';
  if (job.type === 'ROLLOUT') return `Rollout step ${String(job.params.step ?? '')}`.trim();
  return 'Deploy';
}

/** `workspace:<id>`, `task:<ns>/<name>`, `pipeline:<ns>/<name>`, `scope:<id>` as words. */
function subjectOf(job: Job, workspace: Workspace | undefined): string {
  if (workspace) return `workspace '${workspace.name}'`;
  const [kind = '', ...rest] = job.target.split(':');
  const name = rest.join(':');
  if (kind === 'workspace') return `workspace ${name} (deleted)`;
  if (kind === 'task') return `task ${name}`;
  if (kind === 'pipeline') return `pipeline ${name}`;
  if (kind === 'scope') {
    const deployment = job.params.deploymentId;
    return `${deployment !== undefined ? `deployment ${String(deployment)} of ` : ''}scope ${name}`;
  }
  return job.target;
}
