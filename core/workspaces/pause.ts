import type { Workspace } from '../types.js';

/**
 * A workspace whose deploys are paused (a release freeze, an incident): what comes on its own
 * (a push, a re-run on GitHub, a poll, a drift heal) is held instead of deployed, and a deploy
 * asked for by name is refused unless forced. Kept in the `workspace-pauses` record.
 */
export interface WorkspacePause {
  workspaceId: string;
  /** Who paused it. */
  by: string | null;
  /** ISO-8601 UTC. */
  since: string;
  reason: string | null;
  /** Deploys held since (each a STOPPED job that says so). */
  held: number;
  /** The latest of them. */
  lastHeld: { jobId: string; commitId: string | null; time: string } | null;
}

export const PAUSES = 'workspace-pauses';

/** Longest reason kept. */
export const MAX_PAUSE_REASON = 500;

/**
 * Says who paused the workspace, since when and why.
 *
 * @example
 * pausedSentence(shop, pause) // "deploys of workspace 'shop' are paused by alice since 2026-12-01T10:00:00.000Z: release freeze"
 */
export function pausedSentence(workspace: Workspace, pause: WorkspacePause): string {
  const by = pause.by ? ` by ${pause.by}` : '';
  const reason = pause.reason ? `: ${pause.reason}` : '';
  return `deploys of workspace '${workspace.name}' are paused${by} since ${pause.since}${reason}`;
}
