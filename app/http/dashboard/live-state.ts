import type { Engine } from '../../../core/engine.js';
import type { Job, Workspace } from '../../../core/types.js';
import {
  type DriftCheck,
  type WorkspacePause,
  type WorkspacePreview,
  workspaceTarget,
} from '../../../core/workspaces/index.js';
import { badgeClass, duration, isActive, shownStatus } from './format.js';

/** Rows of the overview's jobs table. */
export const RECENT_JOBS = 25;
/** Workspaces the overview lists (and names jobs by). */
export const MAX_WORKSPACES = 200;
/** Log lines one poll of a job page carries; the script asks again at once when it is full. */
const MAX_POLL_LOG_LINES = 1_000;

/** A page of jobs, newest first (page 0: the newest), and how many jobs there are in all. */
export function recentJobs(engine: Engine, page = 0): { jobs: Job[]; total: number } {
  const { items, total } = engine.jobs.list(
    {},
    {
      offset: page * RECENT_JOBS,
      limit: RECENT_JOBS,
      sort: { field: 'created', direction: 'desc' },
    },
  );
  return { jobs: items, total };
}

/**
 * The newest deploy (not plan) of each workspace whose newest one is not the last that
 * succeeded: a failed, running or queued deploy the overview links to beside the last success.
 */
export function pendingDeploys(engine: Engine, workspaces: readonly Workspace[]): Map<string, Job> {
  const pending = new Map<string, Job>();
  for (const workspace of workspaces) {
    if (workspace.status === 'READY' && workspace.lastJobId) continue;
    const [newest] = engine.jobs.list(
      { workspaceId: workspace.id, target: workspaceTarget(workspace.id) },
      { offset: 0, limit: 1 },
    ).items;
    if (newest && newest.id !== workspace.lastJobId) pending.set(workspace.id, newest);
  }
  return pending;
}

/** The last drift check of each workspace it found drifted, while it still says how things are. */
export function driftedWorkspaces(
  engine: Engine,
  workspaces: readonly Workspace[],
): Map<string, DriftCheck> {
  const drifted = new Map<string, DriftCheck>();
  for (const workspace of workspaces) {
    const { status, check } = engine.driftOf(workspace.id);
    if (status === 'DRIFTED' && check) drifted.set(workspace.id, check);
  }
  return drifted;
}

/** The pause of each workspace whose deploys are paused. */
export function pausedWorkspaces(
  engine: Engine,
  workspaces: readonly Workspace[],
): Map<string, WorkspacePause> {
  return byShownWorkspace(engine.workspaces.pauses(), workspaces);
}

/** The preview each workspace shown is, if it is one (one read). */
export function previewWorkspaces(
  engine: Engine,
  workspaces: readonly Workspace[],
): Map<string, WorkspacePreview> {
  return byShownWorkspace(engine.previews.list(), workspaces);
}

/** Records of workspaces, by workspace id, of the workspaces shown only. */
function byShownWorkspace<T extends { workspaceId: string }>(
  records: readonly T[],
  workspaces: readonly Workspace[],
): Map<string, T> {
  const shown = new Set(workspaces.map((ws) => ws.id));
  return new Map(
    records.filter((r) => shown.has(r.workspaceId)).map((r) => [r.workspaceId, r] as const),
  );
}

/** Workspace names by id, to show a job's workspace by name. */
export function workspaceNames(engine: Engine): Map<string, string> {
  return new Map(
    engine.workspaces
      .list({ offset: 0, limit: MAX_WORKSPACES })
      .items.map((ws) => [ws.id, ws.name]),
  );
}

/**
 * A job's status and its log lines from `sequence` on, as the job page's script reads them.
 *
 * @example
 * jobState(engine, id, 12)
 * // {status: 'RUNNING', badge: 'badge b-blue', active: true, lines: ['working'], nextSequence: 13, ...}
 */
export function jobState(engine: Engine, id: string, sequence: number) {
  // Status first, lines second: once the status read is terminal, the lines read after it are
  // the whole rest of the log, so the script can stop polling without losing any.
  const job = engine.jobs.get(id);
  const lines = engine.jobs.logs(job.id, sequence, MAX_POLL_LOG_LINES);
  return {
    id: job.id,
    status: shownStatus(job),
    badge: badgeClass(shownStatus(job)),
    active: isActive(job.status),
    duration: duration(job.startTime, job.endTime),
    message: job.message,
    lines: lines.map((l) => l.line),
    nextSequence: (lines.at(-1)?.sequence ?? sequence - 1) + 1,
    more: lines.length === MAX_POLL_LOG_LINES,
  };
}
