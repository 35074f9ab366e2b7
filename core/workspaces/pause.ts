import { SlipwayError } from '../errors.js';
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
  /** When it ends by itself (ISO-8601 UTC), as a resume would; null: when someone resumes it. */
  until?: string | null;
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
  const until = pause.until ? ` (until ${pause.until})` : '';
  return `deploys of workspace '${workspace.name}' are paused${by} since ${pause.since}${until}${reason}`;
}

/** Longest a pause may be set to last by itself: a freeze longer than this is resumed by hand. */
export const MAX_PAUSE_DAYS = 90;

/**
 * A pause's end as kept: an ISO-8601 time with its offset, after `now` and at most
 * MAX_PAUSE_DAYS away, in UTC; null clears it. BAD_REQUEST naming the value otherwise.
 */
export function untilOf(until: string | null, now: number): string | null {
  if (until === null) return null;
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(until)
    ? Date.parse(until)
    : Number.NaN;
  if (Number.isNaN(time)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `"until" is "${until}"; expected an ISO-8601 time with its offset, such as 2026-12-07T09:00:00Z`,
    );
  }
  if (time <= now || time > now + MAX_PAUSE_DAYS * 86_400_000) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `"until" is "${until}"; expected a time after now and within ${MAX_PAUSE_DAYS} days`,
    );
  }
  return new Date(time).toISOString();
}

/**
 * What a held deploy's job says (its message, its log, its skipped check run on GitHub): since
 * when and why, not who: a check run on a public repository is public, and an identity is
 * often an email address. `GET /api/workspaces/{id}` names who.
 *
 * @example
 * heldMessage(shop, pause) // "not deployed: deploys of workspace 'shop' are paused since 2026-12-01T10:00:00.000Z: release freeze; resuming them deploys the branch head"
 */
export function heldMessage(workspace: Workspace, pause: WorkspacePause, what?: string): string {
  const reason = pause.reason ? `: ${pause.reason}` : '';
  const queued = what ? ` (${what})` : '';
  return `not deployed${queued}: deploys of workspace '${workspace.name}' are paused since ${pause.since}${reason}; resuming them deploys the branch head`;
}

/**
 * A pause's reason as kept: trimmed, null when empty; BAD_REQUEST for one too long or holding
 * control characters (it is shown in logs, on terminals and on GitHub, a line each).
 */
export function reasonOf(reason: string | null): string | null {
  const trimmed = reason?.trim() ?? '';
  if (trimmed === '') return null;
  const length = [...trimmed].length;
  if (length > MAX_PAUSE_REASON) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `"reason" has ${length} characters; expected at most ${MAX_PAUSE_REASON}`,
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      '"reason" holds a line break or another control character; expected one line of text',
    );
  }
  return trimmed;
}
