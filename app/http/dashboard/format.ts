import type { Job, JobStatus } from '../../../core/types.js';

/** Badge colors: COMPLETE green, ERROR red, RUNNING blue, QUEUED grey, STOPPED amber. */
const COLORS: Record<string, string> = {
  COMPLETE: 'green',
  ERROR: 'red',
  RUNNING: 'blue',
  QUEUED: 'grey',
  STOPPED: 'amber',
  READY: 'green',
  PROVISIONING: 'blue',
  FAILED: 'red',
  DRIFTED: 'amber',
  HELD: 'amber',
  PAUSED: 'amber',
  finalized: 'green',
  running: 'blue',
  creating: 'grey',
  waiting_for_instances: 'grey',
  finalizing: 'blue',
  cancelling: 'amber',
  cancelled: 'amber',
  rolling_back: 'amber',
  rolled_back: 'amber',
  failed: 'red',
  deleting: 'grey',
  deleted: 'grey',
};

/** The CSS class of a status badge's color (also used by the live scripts). */
export function badgeClass(status: string): string {
  return `badge b-${COLORS[status] ?? 'grey'}`;
}

/**
 * An ISO-8601 UTC timestamp shown compactly: seconds precision, `T` as a space.
 *
 * @example
 * compactTime('2025-03-01T12:04:05.123Z') // '2025-03-01 12:04:05Z'
 */
export function compactTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * How long something took, or has taken so far when it has not ended.
 *
 * @example
 * duration('2025-03-01T12:00:00Z', '2025-03-01T12:01:05Z') // '1 m 05 s'
 */
export function duration(start: string | null, end: string | null, now = Date.now()): string {
  if (!start) return '';
  const ms = Math.max(0, (end ? Date.parse(end) : now) - Date.parse(start));
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

/**
 * A job's status as people read it: `HELD` for a deploy a pause held (its status is STOPPED,
 * but nothing stopped it: it never ran), else its status.
 */
export function shownStatus(job: Job): string {
  return job.params.held === true ? 'HELD' : job.status;
}

/** Whether a job may still change (its page keeps polling). */
export function isActive(status: JobStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

/** What a job acts on, for people: its workspace's name, or its serialization target. */
export function jobSubject(job: Job, workspaceNames: ReadonlyMap<string, string>): string {
  if (job.workspaceId) return workspaceNames.get(job.workspaceId) ?? job.workspaceId;
  return job.target;
}

/** A commit id shortened as git shows it. */
export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '';
}

/** The job as the live scripts read it: already formatted, so the browser only copies text. */
export function jobRowJson(job: Job, workspaceNames: ReadonlyMap<string, string>) {
  return {
    id: job.id,
    type: job.type,
    status: shownStatus(job),
    subject: jobSubject(job, workspaceNames),
    badge: badgeClass(shownStatus(job)),
    created: compactTime(job.created),
    createdIso: job.created,
    duration: duration(job.startTime, job.endTime),
  };
}

export type JobRow = ReturnType<typeof jobRowJson>;
