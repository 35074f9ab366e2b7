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
  /** The latest of them that was news: a commit not held before, nor one a held push came after. */
  lastHeld: { jobId: string; commitId: string | null; time: string } | null;
  /** The held job of each commit held (the latest MAX_REMEMBERED): a commit is held once. */
  heldCommits?: Record<string, string>;
  /**
   * Where held pushes came from (their `before`s; the latest MAX_REMEMBERED): such a commit
   * delivered late is older than one held already, and no news.
   */
  heldBefores?: string[];
}

/** How many held commits and `before`s a pause remembers. */
export const MAX_REMEMBERED = 100;

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
 * Epoch ms of an ISO-8601 time with its offset, when every field is in range for its calendar
 * (no February 30th, no 24:00, which `Date.parse` rolls over); undefined otherwise.
 */
function calendarTime(text: string): number | undefined {
  const parts =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(
      text,
    );
  if (!parts) return undefined;
  const [year, month, day, hour, minute, second = 0] = parts.slice(1, 7).map(Number) as number[];
  const local = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  const check = new Date(local);
  const fits =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === (month as number) - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  const offsetHours = Number(parts[10] ?? 0);
  const offsetMinutes = Number(parts[11] ?? 0);
  if (!fits || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = parts[9] === '-' ? -1 : 1;
  const fraction = parts[7] ? Math.floor(Number(parts[7]) * 1000) : 0;
  return local + fraction - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/**
 * A pause's end as kept: an ISO-8601 time with its offset, after `now` and at most
 * MAX_PAUSE_DAYS away, in UTC; null clears it. BAD_REQUEST naming the value otherwise.
 */
export function untilOf(until: string | null, now: number): string | null {
  if (until === null) return null;
  const time = calendarTime(until);
  if (time === undefined) {
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
