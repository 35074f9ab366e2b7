import { createHash } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { Store } from '../store/types.js';
import { type Clock, isoTime, type Logger, type Workspace } from '../types.js';
import type { WorkspaceService } from './workspace-service.js';

/**
 * A workspace made for a pull request against the branch of a workspace whose pull requests get
 * previews (`previews: true`): it deploys the pull request's branch into a namespace of its own
 * until the pull request closes. Kept in the `workspace-previews` record of the preview, under
 * the namespace of the workspace it previews.
 */
export interface WorkspacePreview {
  /** The preview's own workspace. */
  workspaceId: string;
  /** The workspace whose pull request it previews. */
  of: string;
  pullRequest: number;
  /** `owner/name` of the repository, lowercase, as the pull request's events name it. */
  repository: string;
  /** ISO-8601 UTC. */
  created: string;
  /** The namespace made for it: removed with it, whatever its namespace was changed to since. */
  namespace?: string;
  /**
   * The latest `updated_at` of its pull request's events that opened or moved it: a close from
   * before that (delivered late, after a reopen) leaves it be.
   */
  updatedAt?: string | null;
  /**
   * `updatedAt` when it came from a reopen: a close of the same second (GitHub's times are
   * whole seconds) came before it.
   */
  reopenedAt?: string | null;
  /** The branch its pull request merged into when it was made: retargeted, it goes. */
  base?: string;
  /** The label it was made for (its workspace's `previewLabel` then): taken off, it goes. */
  label?: string | null;
  /**
   * The pull request closed (or no longer gets it): the preview is being removed (its
   * workloads, then itself). `updatedAt`: the pull request's, as the event that closed it said.
   */
  closed: { at: string; by: string | null; updatedAt?: string | null } | null;
}

/**
 * A pull request that closed, kept a while (`CLOSED_KEPT_MS`): an event of it that GitHub
 * delivers late, or again, must not make its preview anew.
 */
export interface ClosedPullRequest {
  repository: string;
  pullRequest: number;
  /** The pull request's `updated_at` as the close event said it (ISO-8601). */
  at: string;
  /** When Slipway heard of the close (ISO-8601): it is forgotten `CLOSED_KEPT_MS` later. */
  heard: string;
}

/** What a pull request event says of it, to open its preview. */
export interface PullRequestEvent {
  /** `owner/name`, as the event names it. */
  repository: string;
  pullRequest: number;
  /** Its head branch, in the same repository. */
  branch: string;
  /** The pull request's `updated_at`: an event from before its close makes nothing. */
  updatedAt: string | undefined;
  /**
   * It reopens the pull request: GitHub's times are in whole seconds, so a reopen in the second
   * of the close is after it.
   */
  reopened?: boolean;
  /** The pull request's head commit: what a preview made again after its removal deploys. */
  head?: string;
  /** Who sent the event (`github:<login>`): the identity of that deploy. */
  by?: string | null;
}

/**
 * A pull request reopened while its last preview (of workspace `of`) was still being removed:
 * once it is gone, the preview is made again and deployed at `head`. Kept in its own record (the
 * preview's goes with the preview), so that a stop between the two does not lose it.
 */
export interface PreviewReopen {
  of: string;
  repository: string;
  pullRequest: number;
  branch: string;
  head: string;
  updatedAt: string | null;
  by: string | null;
}

export const PREVIEWS = 'workspace-previews';
/** Workspaces whose pull requests get previews (a record each, `PreviewsOn`). */
export const PREVIEWS_ON = 'workspace-previews-on';

/** That a workspace's pull requests get previews: all, or those with its label. */
export interface PreviewsOn {
  workspaceId: string;
  /** Only pull requests carrying this label (any case) get one; null (or absent): all. */
  label?: string | null;
}

/** What a pull request is now, as far as which workspaces' previews it gets. */
export interface PullRequestNow {
  /** The branch it merges into. */
  base: string;
  /** The names of its labels. */
  labels: readonly string[];
}

/** Previews to make again once their last one is removed (see `PreviewReopen`). */
export const PREVIEW_REOPENS = 'preview-reopens';

/** Closed pull requests of repositories with previews, kept this long after they closed. */
export const CLOSED_PULL_REQUESTS = 'closed-pull-requests';
const CLOSED_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/** The wait before a failed removal is tried again, doubling up to the most. */
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 5 * 60 * 1000;

/** Workspaces read at a time when looking for a namespace in use. */
const NAMESPACE_PAGE = 500;

/** Whether ISO-8601 time `a` is known and later than `b` (or `b` is not known). */
function later(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a) return false;
  return !b || Date.parse(a) > Date.parse(b);
}

/**
 * Whether the preview was opened or moved after a close (or move) of its pull request sent at
 * `at`: later, or reopened in the same second (a reopen follows the close it answers).
 */
function movedSince(preview: WorkspacePreview, at: string | undefined): boolean {
  if (!at) return false;
  if (later(preview.updatedAt, at)) return true;
  const reopened = preview.reopenedAt;
  return Boolean(
    reopened && reopened === preview.updatedAt && Date.parse(reopened) === Date.parse(at),
  );
}

/**
 * Whether the pull request, as it is `now`, keeps `preview`: it still merges into the branch it
 * did when the preview was made, and carries the label the preview was made for. What its
 * workspace changed since (its branch, its label, previews off) applies to new previews only.
 */
function stillWanted(
  preview: WorkspacePreview,
  parent: Workspace | undefined,
  now: PullRequestNow,
): boolean {
  const base = preview.base ?? parent?.branch;
  if (base !== now.base) return false;
  const label = preview.label?.toLowerCase();
  return !label || now.labels.some((name) => name.toLowerCase() === label);
}

/** Names are at most this long (a workspace's name); aliases and namespaces at most 63. */
const MAX_NAME = 100;
const MAX_LABEL = 63;

/**
 * A name with `-pr-<number>` after it, fitting in `max`: a `base` too long is cut short and
 * marked with 4 hex digits of its hash, so that two long names alike at the start stay apart.
 *
 * @example
 * previewName('shop', 12, 63) // 'shop-pr-12'
 * previewName('a'.repeat(70), 12, 63) // 'aaaa...aaa-1f2e-pr-12' (63 characters)
 */
export function previewName(base: string, pullRequest: number, max: number): string {
  const suffix = `-pr-${pullRequest}`;
  if (base.length + suffix.length <= max) return `${base}${suffix}`;
  const mark = `-${createHash('sha256').update(base).digest('hex').slice(0, 4)}`;
  return `${base.slice(0, max - suffix.length - mark.length).replace(/-+$/, '')}${mark}${suffix}`;
}

export interface PreviewServiceDeps {
  store: Store;
  workspaces: WorkspaceService;
  clock: Clock;
  logger: Logger;
  /** Where a deploy of `commit` to the workspace reports (see `EngineDeps.reportsTo`). */
  reportsTo?: (workspace: Workspace, commit: string) => Record<string, unknown> | undefined;
}

/**
 * What opening a preview did: made it, found it made already, will make it again once its last
 * one is removed (`remaking`: its name), or why it could not.
 */
export type OpenedPreview =
  | { workspace: Workspace; created: boolean }
  | { remaking: string; workspace?: undefined; refused?: undefined }
  | { refused: string; workspace?: undefined; remaking?: undefined };

/**
 * Preview workspaces of pull requests: made when a pull request opens against the branch of a
 * workspace with previews on, removed (what they deployed, then the workspace) when it closes.
 */
export class PreviewService {
  /** When a preview whose removal failed is tried again (epoch ms), and the wait before that. */
  private readonly retries = new Map<string, { at: number; delayMs: number }>();

  constructor(private readonly deps: PreviewServiceDeps) {}

  /** Whether pull requests against the workspace's branch get previews. */
  on(workspaceId: string): boolean {
    return this.deps.store.getRecord(PREVIEWS_ON, workspaceId) !== undefined;
  }

  /** The label a pull request needs for a preview of the workspace; null: none needed. */
  labelOf(workspaceId: string): string | null {
    return this.deps.store.getRecord<PreviewsOn>(PREVIEWS_ON, workspaceId)?.label ?? null;
  }

  /**
   * Whether `pull` gets a preview of `workspace`: it merges into the workspace's branch, the
   * workspace has previews on, and the pull request carries its label if it names one.
   */
  wants(workspace: Workspace, pull: PullRequestNow): boolean {
    if (workspace.branch !== pull.base) return false;
    const on = this.deps.store.getRecord<PreviewsOn>(PREVIEWS_ON, workspace.id);
    if (!on) return false;
    if (!on.label) return true;
    const label = on.label.toLowerCase();
    return pull.labels.some((name) => name.toLowerCase() === label);
  }

  /** The preview the workspace is, if it is one. */
  of(workspaceId: string): WorkspacePreview | undefined {
    return this.deps.store.getRecord<WorkspacePreview>(PREVIEWS, workspaceId);
  }

  /** The previews of a workspace's pull requests (of every one when not given), closed ones too. */
  list(workspaceId?: string): WorkspacePreview[] {
    return this.deps.store.listRecords<WorkspacePreview>(PREVIEWS, workspaceId);
  }

  /**
   * The preview of pull request `pullRequest` of `parent`: made (a workspace named
   * `<name>-pr-<number>` on the pull request's `branch`, in namespace `<namespace>-pr-<number>`,
   * with the parent's repository, owner and timeout) unless it exists. Refused, saying why, when
   * the pull request closed after the event was sent (GitHub delivering it late, or again),
   * another preview of it was moved by a later event (unless the event was `kept` for after a
   * removal: `close` kept it up to date), the name is another workspace's, or the last preview
   * of that pull request is still going (a reopen then makes it again once that one is gone:
   * `remaking`). An event from after its close (reopened) opens it again.
   */
  open(
    parent: Workspace,
    event: PullRequestEvent,
    { kept = false }: { kept?: boolean } = {},
  ): OpenedPreview {
    const { pullRequest, branch, repository } = event;
    return this.deps.store.transaction(() => {
      const closedKey = `${repository.toLowerCase()}#${pullRequest}`;
      const closed = this.deps.store.getRecord<ClosedPullRequest>(CLOSED_PULL_REQUESTS, closedKey);
      if (closed) {
        const at = event.updatedAt ? Date.parse(event.updatedAt) : Number.NaN;
        const closedAt = Date.parse(closed.at);
        // Not after the close (reopened since): GitHub delivered it late, or again.
        if (!(event.reopened ? at >= closedAt : at > closedAt)) {
          return {
            refused: `pull request #${pullRequest} closed (updated ${closed.at}) after this event was sent (updated ${event.updatedAt ?? 'at an unknown time'}): GitHub delivered it late; no preview`,
          };
        }
      }
      const current = this.list(parent.id).find((p) => p.pullRequest === pullRequest);
      // Wanted again (reopened, labelled again, retargeted back) by an event after the one that
      // closed it, while it is still being removed: made again once it is gone.
      const closedAt = current?.closed?.updatedAt;
      const after = event.reopened
        ? !later(closedAt, event.updatedAt)
        : Boolean(closedAt) && later(event.updatedAt, closedAt);
      if (current?.closed && event.head && after) {
        const reopen: PreviewReopen = {
          of: parent.id,
          repository: repository.toLowerCase(),
          pullRequest,
          branch,
          head: event.head,
          updatedAt: event.updatedAt ?? null,
          by: event.by ?? null,
        };
        this.deps.store.putRecord(PREVIEW_REOPENS, `${parent.id}#${pullRequest}`, '', reopen);
        const name = this.deps.store.getWorkspace(current.workspaceId)?.name ?? '';
        return { remaking: name };
      }
      if (current?.closed) {
        return {
          refused: `the preview of pull request #${pullRequest} of workspace '${parent.name}' is still being removed; the pull request's next push makes it again`,
        };
      }
      if (current) {
        const sameSecond =
          event.updatedAt !== undefined &&
          current.updatedAt !== undefined &&
          current.updatedAt !== null &&
          Date.parse(event.updatedAt) === Date.parse(current.updatedAt);
        if (later(event.updatedAt, current.updatedAt) || (event.reopened && sameSecond)) {
          const moved: WorkspacePreview = {
            ...current,
            updatedAt: event.updatedAt ?? null,
            reopenedAt: event.reopened ? (event.updatedAt ?? null) : (current.reopenedAt ?? null),
          };
          this.deps.store.putRecord(PREVIEWS, current.workspaceId, parent.id, moved);
        }
        return { workspace: this.deps.workspaces.get(current.workspaceId), created: false };
      }
      // An event of the pull request sent after this one moved it (another workspace's preview
      // says so): this one, delivered late, may want what it no longer does.
      const newer = kept
        ? undefined
        : this.list().find(
            (p) =>
              p.repository === repository.toLowerCase() &&
              p.pullRequest === pullRequest &&
              !p.closed &&
              later(p.updatedAt, event.updatedAt),
          );
      if (newer) {
        return {
          refused: `pull request #${pullRequest} changed (updated ${newer.updatedAt}) after this event was sent (updated ${event.updatedAt ?? 'at an unknown time'}): GitHub delivered it late; no preview of workspace '${parent.name}'`,
        };
      }
      const name = previewName(parent.name, pullRequest, MAX_NAME);
      const alias = previewName(parent.alias, pullRequest, MAX_LABEL);
      const namespace = previewName(parent.namespace, pullRequest, MAX_LABEL);
      const taken = this.deps.store.findWorkspaceByName(name)
        ? `the name '${name}' is another workspace's`
        : this.takenNamespace(namespace, alias);
      if (taken) {
        return {
          refused: `no preview of pull request #${pullRequest} for workspace '${parent.name}': ${taken}`,
        };
      }
      const workspace = this.deps.workspaces.create(
        {
          name,
          repositoryUrl: parent.repositoryUrl,
          branch,
          alias,
          namespace,
          timeoutSeconds: parent.timeoutSeconds,
        },
        parent.owner,
      );
      const preview: WorkspacePreview = {
        workspaceId: workspace.id,
        of: parent.id,
        pullRequest,
        repository: repository.toLowerCase(),
        created: isoTime(this.deps.clock.now()),
        namespace,
        updatedAt: event.updatedAt ?? null,
        reopenedAt: event.reopened ? (event.updatedAt ?? null) : null,
        base: parent.branch,
        label: this.labelOf(parent.id),
        closed: null,
      };
      this.deps.store.putRecord(PREVIEWS, workspace.id, parent.id, preview);
      this.deps.logger.info(
        { workspaceId: workspace.id, of: parent.id, pullRequest },
        `preview '${name}' made for pull request #${pullRequest} of workspace '${parent.name}'`,
      );
      return { workspace, created: true };
    });
  }

  /**
   * Why a preview may not have `namespace` (or `alias`): another workspace has it (its code
   * would run beside that one's secrets, and the preview's removal could delete it); or null.
   */
  private takenNamespace(namespace: string, alias: string): string | null {
    for (let offset = 0; ; offset += NAMESPACE_PAGE) {
      const page = this.deps.store.listWorkspaces({ offset, limit: NAMESPACE_PAGE });
      const other = page.items.find((ws) => ws.namespace === namespace || ws.alias === alias);
      if (other) {
        return other.namespace === namespace
          ? `workspace '${other.name}' deploys to namespace ${namespace}, which would be the preview's`
          : `workspace '${other.name}' has the alias ${alias}, which would be the preview's`;
      }
      if (offset + NAMESPACE_PAGE >= page.total) return null;
    }
  }

  /**
   * Marks the previews of pull request `pullRequest` of `repository` closed: no push deploys
   * them any more, and `removeClosed` removes them. Returns their workspaces. A preview opened
   * or moved by an event later than the close (`updatedAt`: a close delivered late, after a
   * reopen) stays. With `remember` (its repository has workspaces with previews), the close is
   * kept a while, so that its events delivered late make no preview (see `open`). With `now`
   * (the pull request is open, as it is now), only the previews of workspaces it no longer
   * gets one of close (see `wants`: it was retargeted to another branch, or lost a label).
   */
  close(
    repository: string,
    pullRequest: number,
    by: string | null,
    {
      updatedAt,
      remember,
      now,
      current = false,
    }: {
      updatedAt?: string | undefined;
      remember: boolean;
      now?: PullRequestNow;
      current?: boolean;
    },
  ): Workspace[] {
    return this.deps.store.transaction(() => {
      const closed: Workspace[] = [];
      const key = repository.toLowerCase();
      if (remember) this.rememberClosed(key, pullRequest, updatedAt);
      // A reopen this close came after is off (one after it, delivered first, stands).
      for (const reopen of this.deps.store.listRecords<PreviewReopen>(PREVIEW_REOPENS)) {
        if (reopen.repository !== key || reopen.pullRequest !== pullRequest) continue;
        const parent = this.deps.store.getWorkspace(reopen.of);
        if (now && parent && this.wants(parent, now)) continue;
        // A reopen in the close's second came after it (as `open` counts them).
        if (updatedAt && !later(updatedAt, reopen.updatedAt)) continue;
        this.deps.store.deleteRecord(PREVIEW_REOPENS, `${reopen.of}#${reopen.pullRequest}`);
      }
      for (const preview of this.list()) {
        if (preview.repository !== key || preview.pullRequest !== pullRequest) continue;
        const workspace = this.deps.store.getWorkspace(preview.workspaceId);
        // Reopened (or moved) after this close was sent: it is open.
        // GitHub's whole seconds: an event of the same second as the last one Slipway had may
        // be either side of it. A move then leaves the preview (the periodic look asks GitHub
        // later); so does a close after a reopen of that second. What GitHub says is so now
        // (`current`, no event handled meanwhile) decides ties.
        const since = current
          ? later(preview.updatedAt, updatedAt)
          : now
            ? Boolean(updatedAt) && !later(updatedAt, preview.updatedAt)
            : movedSince(preview, updatedAt);
        if (!workspace || since) continue;
        if (now) {
          // A move closes what it leaves behind, once: one closed already is being removed.
          if (preview.closed) continue;
          const parent = this.deps.store.getWorkspace(preview.of);
          if (stillWanted(preview, parent, now) || (parent && this.wants(parent, now))) continue;
        }
        if (!preview.closed) {
          const marked: WorkspacePreview = {
            ...preview,
            closed: { at: isoTime(this.deps.clock.now()), by, updatedAt: updatedAt ?? null },
          };
          this.deps.store.putRecord(PREVIEWS, preview.workspaceId, preview.of, marked);
        }
        closed.push(workspace);
      }
      return closed;
    });
  }

  /** Keeps the close of a pull request, at the later of its times when it closed before. */
  private rememberClosed(repository: string, pullRequest: number, updatedAt: string | undefined) {
    const key = `${repository}#${pullRequest}`;
    const given = updatedAt && Number.isFinite(Date.parse(updatedAt)) ? updatedAt : undefined;
    const at = given ?? isoTime(this.deps.clock.now());
    const earlier = this.deps.store.getRecord<ClosedPullRequest>(CLOSED_PULL_REQUESTS, key);
    if (earlier && Date.parse(earlier.at) >= Date.parse(at)) return;
    const heard = isoTime(this.deps.clock.now());
    const closed: ClosedPullRequest = { repository, pullRequest, at, heard };
    this.deps.store.putRecord(CLOSED_PULL_REQUESTS, key, '', closed);
  }

  /** Forgets closed pull requests kept longer than GitHub redelivers their events. */
  forgetOldCloses(): void {
    const before = this.deps.clock.now() - CLOSED_KEPT_MS;
    for (const closed of this.deps.store.listRecords<ClosedPullRequest>(CLOSED_PULL_REQUESTS)) {
      if (Date.parse(closed.heard) < before) {
        this.deps.store.deleteRecord(
          CLOSED_PULL_REQUESTS,
          `${closed.repository}#${closed.pullRequest}`,
        );
      }
    }
  }

  /**
   * Repository `from` is now `to` (renamed or transferred): its pull requests' previews are
   * found under the new name, which their close events carry.
   */
  renamed(from: string, to: string): void {
    const former = from.toLowerCase();
    this.deps.store.transaction(() => {
      for (const preview of this.list()) {
        if (preview.repository !== former) continue;
        const moved = { ...preview, repository: to.toLowerCase() };
        this.deps.store.putRecord(PREVIEWS, preview.workspaceId, preview.of, moved);
      }
      for (const reopen of this.deps.store.listRecords<PreviewReopen>(PREVIEW_REOPENS)) {
        if (reopen.repository !== former) continue;
        const key = `${reopen.of}#${reopen.pullRequest}`;
        this.deps.store.putRecord(PREVIEW_REOPENS, key, '', {
          ...reopen,
          repository: to.toLowerCase(),
        });
      }
    });
  }

  /**
   * Removes each preview whose pull request closed (see `WorkspaceService.delete`), one after
   * another; resolves with how many. One that fails is tried again after a wait that doubles
   * from 2 s to 5 minutes, with a warning each time. Forgets old closes too. Not to be called
   * while a call is under way (`runPeriodically` never overlaps its runs).
   */
  async removeClosed(): Promise<number> {
    this.forgetOldCloses();
    let removed = 0;
    for (const preview of this.list()) {
      if (!preview.closed) continue;
      const retry = this.retries.get(preview.workspaceId);
      if (retry && retry.at > this.deps.clock.now()) continue;
      try {
        await this.deps.workspaces.delete(preview.workspaceId, preview.closed.by);
        this.retries.delete(preview.workspaceId);
        removed += 1;
      } catch (error) {
        if (error instanceof SlipwayError && error.code === 'NOT_FOUND') {
          this.deps.store.deleteRecord(PREVIEWS, preview.workspaceId);
          continue;
        }
        const delayMs = Math.min((retry?.delayMs ?? RETRY_FIRST_MS / 2) * 2, RETRY_MAX_MS);
        this.retries.set(preview.workspaceId, { at: this.deps.clock.now() + delayMs, delayMs });
        this.deps.logger.warn(
          { err: error, workspaceId: preview.workspaceId, retryInMs: delayMs },
          'could not remove the preview of a closed pull request; trying again',
        );
      }
    }
    this.remakeReopened();
    return removed;
  }

  /**
   * Makes again, and deploys at the pull request's head, each preview whose pull request
   * reopened while it was being removed, once it is gone. One its workspace no longer wants (it
   * is gone, or has previews off) or that cannot be made (its name taken since) is dropped, and
   * the refusal logged.
   */
  private remakeReopened(): void {
    const { store, logger } = this.deps;
    for (const reopen of store.listRecords<PreviewReopen>(PREVIEW_REOPENS)) {
      const key = `${reopen.of}#${reopen.pullRequest}`;
      const previous = this.list(reopen.of).find((p) => p.pullRequest === reopen.pullRequest);
      // Still being removed: next time.
      if (previous?.closed) continue;
      try {
        store.transaction(() => {
          store.deleteRecord(PREVIEW_REOPENS, key);
          const parent = store.getWorkspace(reopen.of);
          if (!parent || !this.on(parent.id)) return;
          const opened = this.open(
            parent,
            {
              repository: reopen.repository,
              pullRequest: reopen.pullRequest,
              branch: reopen.branch,
              updatedAt: reopen.updatedAt ?? undefined,
              reopened: true,
            },
            // Events since the reopen kept it up to date (see `close`): it is not late.
            { kept: true },
          );
          if (opened.workspace === undefined) {
            logger.warn(
              { of: parent.id, pullRequest: reopen.pullRequest },
              `pull request #${reopen.pullRequest} reopened while its preview was being removed, and it cannot be made again: ${opened.refused ?? 'it is being removed again'}`,
            );
            return;
          }
          if (!opened.created) return;
          const origin = this.deps.reportsTo?.(opened.workspace, reopen.head);
          // As a push of the head: a branch that moved on since is deployed at its head.
          this.deps.workspaces.deploy(opened.workspace.id, {
            commitId: reopen.head,
            deliveryId: `reopen:${key}:${reopen.updatedAt ?? ''}`,
            identity: reopen.by ?? 'github',
            push: true,
            automatic: true,
            ...(origin ? { origin } : {}),
          });
        });
      } catch (error) {
        logger.warn(
          { err: error, of: reopen.of, pullRequest: reopen.pullRequest },
          'could not make again the preview of a reopened pull request; trying again',
        );
      }
    }
  }
}
