import { createHash } from 'node:crypto';
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
import {
  type DriftCheck,
  type PauseListener,
  PREVIEWS,
  type WorkspacePreview,
} from '../../core/workspaces/index.js';
import { maskSecrets } from '../github/mask-secrets.js';

export const NOTIFICATION_TOPIC = 'notification';

/** Which ends are told: failures (and the first success after one), or every end. */
export type NotifyOn = 'failures' | 'all';

/** What became of a job, or of a workspace's drift, as a notification says it. */
export type NotificationOutcome =
  | 'failed'
  | 'recovered'
  | 'succeeded'
  | 'stopped'
  | 'drifted'
  | 'in_sync'
  | 'paused'
  | 'resumed';

/** What is POSTed to `SLIPWAY_NOTIFY_URL` for a job that ended. */
export interface Notification {
  /**
   * One line for a chat (Slack and Mattermost incoming webhooks show `text`): the first line of
   * the job's message only, at most 300 characters, `&`, `<` and `>` escaped as Slack asks (a
   * workload's output could otherwise mention `<!channel>` or plant a link).
   */
  text: string;
  /** `job.ended`, or a drift check's finding (SLIPWAY_DRIFT_SECONDS): `workspace.drift`. */
  event: 'job.ended' | 'workspace.drift' | 'workspace.pause';
  outcome: NotificationOutcome;
  /** What the job acted on: `workspace 'shop'`, `task team/etl`, `pipeline team/nightly`... */
  subject: string;
  /** The job that ended; null for a drift check's finding. */
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
  } | null;
  workspace: {
    id: string;
    name: string;
    namespace: string;
    branch: string;
    /** The pull request it deploys, when it is a preview (a receiver may route those apart). */
    preview: { of: string; pullRequest: number } | null;
  } | null;
  /** For `workspace.drift`: what the check compared with and found. */
  drift?: { commitId: string; drifted: string[]; since: string | null; checked: string };
  /** For `workspace.pause`: who paused or resumed it, why, what it held, the deploy queued. */
  pause?: {
    by: string | null;
    since: string;
    reason: string | null;
    held: number;
    deployJobId: string | null;
  };
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
  drifted: '⚠️',
  in_sync: '✅',
  paused: '⏸️',
  resumed: '▶️',
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
    enqueue(store, clock, wake, job.id, notificationOf(store, job, outcome, settings));
  };
}

/**
 * Writes `notification` to the outbox under `key` (once: a key written already is news told)
 * and wakes the sender once the transaction it is written in has committed.
 */
function enqueue(
  store: Store,
  clock: Clock,
  wake: () => void,
  key: string,
  notification: Notification,
): void {
  if (store.outboxOf(NOTIFICATION_TOPIC, key).length > 0) return;
  const now = clock.now();
  store.addOutbox({
    topic: NOTIFICATION_TOPIC,
    key,
    payload: notification as unknown as Record<string, unknown>,
    created: isoTime(now),
    nextAttempt: now,
  });
  // After the transaction commits: the sender must not read before the entry is there.
  setImmediate(wake);
}

/** A chat's line: the outcome's symbol, the sentence escaped, and the link when there is one. */
function chatLine(outcome: NotificationOutcome, said: string, url: string | null): string {
  return `${SYMBOL[outcome]} ${chatEscaped(said)}${url ? ` (${url})` : ''}`;
}

/**
 * The drift watcher's listener that notifies: drift that appears or changes, and drift gone,
 * each once, as the log says them (any SLIPWAY_NOTIFY_ON: drift is what on-call must hear of).
 * Written to the outbox as a job's end is; keyed by the check, so each is sent once.
 */
export function recordDriftNotifications(
  store: Store,
  clock: Clock,
  settings: NotifySettings,
  wake: () => void,
): (workspace: Workspace, check: DriftCheck, now: 'drifted' | 'in-sync') => void {
  return (workspace, check, now) => {
    const outcome = now === 'drifted' ? 'drifted' : 'in_sync';
    const at = check.commit.slice(0, 7);
    const [first = '', ...more] = check.drifted;
    const said =
      outcome === 'drifted'
        ? `Workspace '${workspace.name}' drifted from git (deployed commit ${at}): ${clip(first, MAX_HEADLINE)}${more.length > 0 ? ` (and ${more.length} more)` : ''}`
        : `Workspace '${workspace.name}' is as git has it again (commit ${at})`;
    const url = settings.publicUrl ? `${settings.publicUrl}/` : null;
    const notification: Notification = {
      text: chatLine(outcome, said, url),
      event: 'workspace.drift',
      outcome,
      subject: `workspace '${workspace.name}'`,
      job: null,
      workspace: workspaceOf(store, workspace),
      drift: {
        commitId: check.commit,
        drifted: check.drifted,
        since: check.since,
        checked: check.checked,
      },
    };
    // The same finding told twice (two checks at once: a periodic one and one asked for) is
    // one notification: its key is the drift, not the check.
    const key =
      outcome === 'drifted'
        ? `drift:${workspace.id}:${check.since}:${createHash('sha256').update(check.drifted.join('\n')).digest('hex').slice(0, 16)}`
        : `drift:${workspace.id}:in-sync:${check.checked}`;
    enqueue(store, clock, wake, key, notification);
  };
}

/**
 * The workspace service's pause listener that notifies: a freeze begun and ended is what a team
 * must know of (any SLIPWAY_NOTIFY_ON), written to the outbox in the pause's transaction.
 */
export function recordPauseNotifications(
  store: Store,
  clock: Clock,
  settings: NotifySettings,
  wake: () => void,
): PauseListener {
  return (workspace, pause, { now, by, job }) => {
    const outcome = now;
    const who = by ? ` by ${by}` : '';
    const said =
      now === 'paused'
        ? `Deploys of workspace '${workspace.name}' paused${who}${pause.reason ? `: ${pause.reason}` : ''}`
        : `Deploys of workspace '${workspace.name}' resumed${who}${job ? `; ${pause.held === 1 ? '1 deploy was' : `${pause.held} deploys were`} held, the branch head is deployed` : ''}`;
    const url = settings.publicUrl
      ? job
        ? `${settings.publicUrl}/jobs/${job.id}`
        : `${settings.publicUrl}/`
      : null;
    const notification: Notification = {
      text: chatLine(outcome, said, url),
      event: 'workspace.pause',
      outcome,
      subject: `workspace '${workspace.name}'`,
      job: null,
      workspace: workspaceOf(store, workspace),
      pause: {
        by,
        since: pause.since,
        reason: pause.reason,
        held: pause.held,
        deployJobId: job?.id ?? null,
      },
    };
    enqueue(store, clock, wake, `pause:${workspace.id}:${pause.since}:${now}`, notification);
  };
}

/** Whether `job`'s end is told, and how: null when it is not news under `on`. */
function outcomeOf(store: Store, job: Job, on: NotifyOn): NotificationOutcome | null {
  if (failed(job)) return 'failed';
  if (job.status === 'STOPPED') {
    // Replaced by a newer deploy, or held by a pause (even one that ran before a restart): not
    // an end of its own. A withdrawal is someone's choice: told with every end only.
    if (job.params.held === true || job.message?.startsWith('superseded by job ')) return null;
    return on === 'all' ? 'stopped' : null;
  }
  // The last end of the same target before this one, by when each ended (a retried older run
  // may end after a newer one): a success after a failure is news.
  // Withdrawn and superseded ones are no end of the kind: they are looked past.
  const before = store
    .listJobs(
      { target: job.target, type: job.type, status: ['COMPLETE', 'ERROR', 'STOPPED'] },
      { offset: 0, limit: 10, sort: { field: 'endTime', direction: 'desc' } },
    )
    .items.find(
      (other) =>
        other.id !== job.id &&
        (other.endTime ?? '') <= (job.endTime ?? '') &&
        (other.status === 'COMPLETE' || failed(other)),
    );
  if (before && failed(before)) return 'recovered';
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
  // A job's message may quote what a workload printed (its last lines): what looks like a
  // secret is masked, and it is cut short: a receiver refuses a body too big (Slack's text
  // takes 40,000 characters, Teams' 28 KB), and a failure refused is a failure unheard.
  const message = job.message
    ? clip(maskSecrets(job.message, workspace ? [workspace.deploymentSecret] : []), MAX_MESSAGE)
    : null;
  const headline = message ? clip(message.split('\n')[0] ?? '', MAX_HEADLINE) : null;
  const url = settings.publicUrl ? `${settings.publicUrl}/jobs/${job.id}` : null;
  const at = job.commitId ? ` at ${job.commitId.slice(0, 7)}` : '';
  const what = `${verbOf(job)} of ${subject}${at}`;
  const said = {
    failed: `${what} failed${headline ? `: ${headline}` : ''}`,
    recovered: `${what} succeeded; the last one had failed`,
    succeeded: `${what} succeeded`,
    stopped: `${what} was stopped${headline ? `: ${headline}` : ''}`,
  }[outcome as 'failed' | 'recovered' | 'succeeded' | 'stopped'];
  return {
    text: chatLine(outcome, said, url),
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
    workspace: workspace ? workspaceOf(store, workspace) : null,
  };
}

function workspaceOf(store: Store, workspace: Workspace): NonNullable<Notification['workspace']> {
  const { id, name, namespace, branch } = workspace;
  const preview = store.getRecord<WorkspacePreview>(PREVIEWS, id);
  return {
    id,
    name,
    namespace,
    branch,
    preview: preview ? { of: preview.of, pullRequest: preview.pullRequest } : null,
  };
}

/** Ended ERROR, or stopped at its time limit: stuck on the cluster or on git. */
function failed(job: Job): boolean {
  if (job.status === 'ERROR') return true;
  return job.status === 'STOPPED' && job.message?.startsWith('timed out after ') === true;
}

/** Characters of a job's message a notification carries, and of its first line in `text`. */
const MAX_MESSAGE = 2000;
const MAX_HEADLINE = 300;

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Text a chat shows as text: `&`, `<` and `>` escaped as Slack asks (no `<!channel>`, no
 * `<url|label>`), and `@channel`, `@here`, `@all` and `@everyone` broken with a zero-width
 * space (Mattermost's and Discord's mentions).
 */
function chatEscaped(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|all|everyone)\b/gi, '@\u200b$1');
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
