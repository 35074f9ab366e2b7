import { randomBytes, randomUUID } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { EnqueueResult, JobQueue } from '../jobs/index.js';
import { LABELS, MANAGED_BY_VALUE, type Runtime } from '../runtime/types.js';
import { isCommitId, redact } from '../source/index.js';
import type { Page, PageRequest, Store } from '../store/types.js';
import { type Clock, isoTime, type Job, type Logger, type Workspace } from '../types.js';
import {
  heldMessage,
  MAX_REMEMBERED,
  PAUSES,
  pausedSentence,
  reasonOf,
  untilOf,
  type WorkspacePause,
} from './pause.js';
import { PREVIEWS, PREVIEWS_ON, type PreviewsOn, type WorkspacePreview } from './previews.js';
import { type CreateWorkspaceInput, defaultAlias, type UpdateWorkspaceInput } from './schema.js';

export const DEFAULT_BRANCH = 'main';
export const DEFAULT_TIMEOUT_SECONDS = 600;

export interface DeployRequest {
  /**
   * Deploy exactly this commit (a push's `after`, or an earlier one to roll back to); a full
   * 40-hex commit id. Default: the branch head at run time.
   */
  commitId?: string | null;
  /** Idempotency key: the same one again returns the job it created. */
  deliveryId?: string | null;
  /**
   * `commitId` is a push's `after`, not a commit asked for by name: when Slipway heard of the
   * branch head's push first (GitHub delivered this one late), it deploys that head instead of
   * its older commit (see `deployWorkspace`).
   */
  push?: boolean;
  /**
   * `commitId` must be one of the commits of the workspace's branch (checked when the deploy
   * fetches it): the caller may deploy the workspace but not pick any commit of its repository,
   * such as a commit of a fork that a server like GitHub hands out by its id.
   */
  onBranch?: boolean;
  /**
   * A push's `before`: where the branch was before it. A queued deploy of a push made on top of
   * this one (its `before`s lead back here) is newer, and this push does not supersede it.
   */
  before?: string | null;
  identity?: string | null;
  /** Compute what would be created, changed and pruned, and apply nothing. */
  plan?: boolean;
  /**
   * What a plan is for, e.g. `pull/7`: a newer plan replaces a queued older one of the same
   * scope only, so plans of two pull requests never cancel each other. Default: the workspace.
   */
  planScope?: string;
  /**
   * Where the request came from, for the host to report back to (a GitHub check run): kept in
   * the job's `params.origin`, never read by the engine.
   */
  origin?: Record<string, unknown>;
  /**
   * Not asked for by someone through Slipway but come on its own (a push, a re-run on GitHub,
   * a poll): while the workspace is paused it is held, a STOPPED job that says so, instead of
   * refused.
   */
  automatic?: boolean;
  /** Deploy even while the workspace is paused (someone asked for it by name, knowing). */
  force?: boolean;
}

/** What a resume did: the pause it ended (none if there was none) and the deploy it queued. */
export interface ResumeOutcome {
  workspace: Workspace;
  ended: WorkspacePause | null;
  /** A deploy of the branch head, queued when deploys were held during the pause. */
  job: Job | null;
}

export interface WorkspaceServiceDeps {
  store: Store;
  queue: JobQueue;
  runtime: Runtime;
  clock: Clock;
  logger: Logger;
  /** Resolves when a job's handler is no longer running in this process. */
  settled: (jobId: string) => Promise<void>;
  /**
   * Told, inside the transaction that writes it, when a workspace's deploys are paused and
   * when they are resumed (with the deploy the resume queued), e.g. to notify.
   */
  pauseChanged?: PauseListener;
  /**
   * Told, inside the transaction that deletes it (its jobs still name it), when a workspace is
   * deleted, once what it ran is gone: e.g. to mark its GitHub environment inactive.
   */
  deleted?: (workspace: Workspace) => void;
}

/** See {@link WorkspaceServiceDeps.pauseChanged}. */
export type PauseListener = (
  workspace: Workspace,
  pause: WorkspacePause,
  change: { now: 'paused' | 'resumed'; by: string | null; job: Job | null },
) => void;

/** The serialization target of a workspace's deploys. */
export function workspaceTarget(id: string): string {
  return `workspace:${id}`;
}

// Where `redact` put `***` in place of a URL's credentials.
const MASKED_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/\*\*\*@/i;

/**
 * The repository URL after a change. Whoever is not the owner is shown the URL with its
 * credentials masked (`https://***@host/repo`); sending that back unchanged (a PUT of what GET
 * returned) keeps the stored credentials instead of storing the mask.
 */
function repositoryUrlAfter(given: string | undefined, current: string): string {
  if (given === undefined || given === current) return current;
  if (given === redact(current)) return current;
  refuseMasked(given);
  return given;
}

/** A masked URL that is not the workspace's own would send `***` to git as the user name. */
function refuseMasked(url: string): void {
  if (!MASKED_CREDENTIALS.test(url)) return;
  throw new SlipwayError(
    'BAD_REQUEST',
    `"repositoryUrl" is "${url}"; expected the credentials themselves where "***" stands (a masked URL is accepted only as the workspace's own, sent back unchanged)`,
  );
}

/** Workspaces read at a time by {@link WorkspaceService.visitAll}. */
const VISIT_PAGE = 200;

/** Workspaces: CRUD, and deploys queued as `WORKSPACE_DEPLOY` jobs. */
export class WorkspaceService {
  /** Deletes under way per workspace (two may overlap): its workloads are going, one by one. */
  private readonly deleting = new Map<string, number>();

  constructor(private readonly deps: WorkspaceServiceDeps) {}

  /** Whether the workspace is being deleted (its workloads going): nothing should put them back. */
  isBeingDeleted(id: string): boolean {
    if ((this.deleting.get(id) ?? 0) > 0) return true;
    // The preview of a pull request that closed: its removal may not have begun yet.
    return Boolean(this.deps.store.getRecord<WorkspacePreview>(PREVIEWS, id)?.closed);
  }

  /** Whether a deploy of the workspace (not a plan) is queued or running. */
  deployUnderWay(id: string): boolean {
    return (
      this.deps.store.listJobs(
        { target: workspaceTarget(id), status: ['QUEUED', 'RUNNING'] },
        { offset: 0, limit: 1 },
      ).items.length > 0
    );
  }

  /**
   * Creates a workspace with a fresh deployment secret; CONFLICT when the name is taken. `id` is
   * for a host that keeps no store between runs (the Action's direct mode): the same workspace
   * must label its workloads the same way each time, or nothing is ever unchanged or pruned.
   */
  create(input: CreateWorkspaceInput, owner: string | null, id: string = randomUUID()): Workspace {
    const alias = input.alias ?? defaultAlias(input.name);
    if (!alias) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `name "${input.name}" has no latin letter or digit to derive an alias and namespace from (they are Kubernetes names: a-z, 0-9 and '-'); give "alias"`,
      );
    }
    refuseMasked(input.repositoryUrl);
    const now = isoTime(this.deps.clock.now());
    const workspace: Workspace = {
      id,
      name: input.name,
      alias,
      repositoryUrl: input.repositoryUrl,
      branch: input.branch ?? DEFAULT_BRANCH,
      namespace: input.namespace ?? alias,
      status: 'READY',
      deploymentSecret: randomBytes(24).toString('base64url'),
      owner,
      timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      created: now,
      lastModified: now,
      lastJobId: null,
      lastCommitId: null,
      lastDeployed: null,
    };
    const label = input.previewLabel ?? null;
    if (label !== null && !input.previews) refuseLabelWithoutPreviews(label);
    this.deps.store.transaction(() => {
      this.deps.store.insertWorkspace(workspace);
      if (input.previews) {
        this.deps.store.putRecord(PREVIEWS_ON, id, '', { workspaceId: id, label });
      }
    });
    return workspace;
  }

  /** The workspace, or NOT_FOUND. */
  get(id: string): Workspace {
    const workspace = this.deps.store.getWorkspace(id);
    if (!workspace) throw new SlipwayError('NOT_FOUND', `workspace '${id}' does not exist`);
    return workspace;
  }

  /**
   * Visits every workspace in turn, a page of them at a time, until `stopped()` says to end;
   * resolves with how many visits answered true. For passes that take a while (each visit may
   * wait on git or the runtime): a workspace deleted meanwhile is still visited, as listed.
   */
  async visitAll(
    visit: (workspace: Workspace) => Promise<boolean>,
    stopped: () => boolean,
  ): Promise<number> {
    let counted = 0;
    for (let offset = 0; !stopped(); offset += VISIT_PAGE) {
      const page = this.list({ offset, limit: VISIT_PAGE });
      for (const workspace of page.items) {
        if (stopped()) break;
        if (await visit(workspace)) counted += 1;
      }
      if (offset + VISIT_PAGE >= page.total) break;
    }
    return counted;
  }

  list(page: PageRequest): Page<Workspace> {
    return this.deps.store.listWorkspaces(page);
  }

  /** Workspaces whose repository URL contains `text` (any case): candidates to match exactly. */
  mentioning(text: string): Workspace[] {
    return this.deps.store.findWorkspacesMentioning(text);
  }

  /**
   * Changes the given fields; the next deploy uses them (a new namespace prunes the old one).
   * `repositoryUrl` sent back as shown with its credentials masked keeps the stored credentials.
   */
  update(id: string, input: UpdateWorkspaceInput): Workspace {
    return this.deps.store.transaction(() => {
      const current = this.get(id);
      const on = this.deps.store.getRecord<PreviewsOn>(PREVIEWS_ON, id);
      const previews = input.previews ?? on !== undefined;
      const label = input.previewLabel !== undefined ? input.previewLabel : (on?.label ?? null);
      if (!previews && input.previewLabel) refuseLabelWithoutPreviews(input.previewLabel);
      if (previews) {
        if (!on) refusePreviewsOfPreview(current, this.deps.store);
        this.deps.store.putRecord(PREVIEWS_ON, id, '', { workspaceId: id, label });
      } else if (on) this.deps.store.deleteRecord(PREVIEWS_ON, id);
      const updated: Workspace = {
        ...current,
        name: input.name ?? current.name,
        alias: input.alias ?? current.alias,
        repositoryUrl: repositoryUrlAfter(input.repositoryUrl, current.repositoryUrl),
        branch: input.branch ?? current.branch,
        namespace: input.namespace ?? current.namespace,
        timeoutSeconds: input.timeoutSeconds ?? current.timeoutSeconds,
        lastModified: isoTime(this.deps.clock.now()),
      };
      this.deps.store.updateWorkspace(updated);
      return updated;
    });
  }

  /**
   * Deletes a workspace and everything it deployed: its queued and running jobs are withdrawn
   * (and waited for), its workloads deleted from the runtime; its finished jobs stay readable.
   */
  async delete(id: string, by: string | null): Promise<void> {
    const workspace = this.get(id);
    this.deleting.set(id, (this.deleting.get(id) ?? 0) + 1);
    try {
      // The previews of its pull requests go first: nothing would remove them after it.
      for (const preview of this.deps.store.listRecords<WorkspacePreview>(PREVIEWS, id)) {
        await this.delete(preview.workspaceId, by).catch((error: unknown) => {
          // Gone already (its pull request closed meanwhile): only its record is left.
          if (!(error instanceof SlipwayError && error.code === 'NOT_FOUND')) throw error;
          this.deps.store.deleteRecord(PREVIEWS, preview.workspaceId);
        });
      }
      const active = this.deps.store.listJobs(
        { workspaceId: id, status: ['QUEUED', 'RUNNING'] },
        { offset: 0, limit: 10_000 },
      ).items;
      for (const job of active) {
        try {
          this.deps.queue.withdraw(job.id, by);
        } catch (error) {
          // It ended between the listing and the withdraw: nothing left to stop.
          if (!(error instanceof SlipwayError && error.code === 'CONFLICT')) throw error;
        }
      }
      await Promise.all(active.map((job) => this.deps.settled(job.id)));
      const owned = await this.deps.runtime.list({
        labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.workspace]: id },
      });
      for (const workload of owned) await this.deps.runtime.delete(workload);
      await this.removePreviewNamespace(workspace);
      this.deps.store.transaction(() => {
        const gone = this.deps.store.getWorkspace(id);
        if (gone) this.deps.deleted?.(gone);
        this.deps.store.deleteWorkspace(id);
        // What polling, drift checks, pauses and previews kept of it.
        for (const collection of [
          'branch-heads',
          'workspace-drift',
          PAUSES,
          PREVIEWS,
          PREVIEWS_ON,
        ] as const) {
          this.deps.store.deleteRecord(collection, id);
        }
      });
      this.deps.logger.info({ workspaceId: id, deleted: owned.length }, 'workspace deleted');
    } finally {
      const left = (this.deleting.get(id) ?? 1) - 1;
      if (left > 0) this.deleting.set(id, left);
      else this.deleting.delete(id);
    }
  }

  /**
   * The namespace made for a preview (`<namespace>-pr-<number>`, even if its namespace was
   * changed since) goes with it, unless it is not Slipway's or something else still runs there
   * (see `Runtime.removeNamespace`). One Slipway may not delete (a ClusterRole from before it
   * could) stays, with a warning: the preview still goes. Other failures fail the removal, to
   * be tried again.
   */
  private async removePreviewNamespace(workspace: Workspace): Promise<void> {
    const preview = this.deps.store.getRecord<WorkspacePreview>(PREVIEWS, workspace.id);
    const namespace = preview?.namespace ?? workspace.namespace;
    if (!preview || !namespace.endsWith(`-pr-${preview.pullRequest}`)) return;
    try {
      if (await this.deps.runtime.removeNamespace(namespace)) {
        this.deps.logger.info(
          { workspaceId: workspace.id, namespace },
          `namespace ${namespace} of preview '${workspace.name}' deleted`,
        );
      }
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === 'FORBIDDEN')) throw error;
      this.deps.logger.warn(
        { err: error, workspaceId: workspace.id, namespace },
        `could not delete namespace ${namespace} of preview '${workspace.name}' (apply deploy/rbac.yaml to let Slipway delete the namespaces of previews); it stays`,
      );
    }
  }

  /** The pauses of every workspace whose deploys are paused (one read). */
  pauses(): WorkspacePause[] {
    return this.deps.store.listRecords<WorkspacePause>(PAUSES);
  }

  /** The pause of the workspace's deploys, if they are paused. */
  pauseOf(id: string): WorkspacePause | undefined {
    return this.deps.store.getRecord<WorkspacePause>(PAUSES, id);
  }

  /**
   * Pauses the workspace's deploys (see {@link WorkspacePause}). The deploys still queued are
   * held at once (a deploy of the branch head takes the head as it is when it runs, which may
   * be a commit pushed during the pause); one running goes on. Pausing a paused one again
   * changes who paused it, and its reason when one is given (null clears it), not since when
   * or what it held.
   */
  pause(
    id: string,
    by: string | null,
    reason?: string | null,
    until?: string | null,
  ): WorkspacePause {
    const given = reason === undefined ? undefined : reasonOf(reason);
    const ends = until === undefined ? undefined : untilOf(until, this.deps.clock.now());
    return this.deps.store.transaction(() => {
      const workspace = this.get(id);
      const current = this.pauseOf(id);
      let pause: WorkspacePause = {
        held: 0,
        lastHeld: null,
        ...current,
        workspaceId: id,
        by,
        since: current?.since ?? isoTime(this.deps.clock.now()),
        reason: given === undefined ? (current?.reason ?? null) : given,
        until: ends === undefined ? (current?.until ?? null) : ends,
      };
      if (!current) pause = this.holdQueued(workspace, pause);
      this.deps.store.putRecord(PAUSES, id, '', pause);
      if (!current) {
        this.deps.pauseChanged?.(workspace, pause, { now: 'paused', by, job: null });
        this.deps.logger.info(
          { workspaceId: id, by, reason: pause.reason, held: pause.held },
          `${pausedSentence(workspace, pause)}; pushes, re-runs and polls are held, drift is not healed, until it is resumed`,
        );
      }
      return pause;
    });
  }

  /**
   * Holds the deploys of the workspace still queued that would take the branch as it is when
   * they run (a deploy of the head; a push's, which takes the head when it heard of a newer
   * push): the pause counts them. A deploy of a commit by name (a rollback, a heal) runs as
   * asked; one forced past an earlier pause is held like any other.
   */
  private holdQueued(workspace: Workspace, pause: WorkspacePause): WorkspacePause {
    const queued = this.deps.store
      .listJobs(
        { target: workspaceTarget(workspace.id), status: ['QUEUED'] },
        { offset: 0, limit: 1000 },
      )
      .items.filter(
        (job) =>
          job.params.push === true || (job.commitId === null && job.params.onBranch !== true),
      );
    let counted = pause;
    const time = isoTime(this.deps.clock.now());
    const message = heldMessage(workspace, pause, 'queued before the pause');
    for (const job of queued) {
      const held = this.deps.store.updateJob(
        job.id,
        { status: 'STOPPED', endTime: time, message, params: { ...job.params, held: true } },
        { status: ['QUEUED'] },
      );
      if (!held) continue;
      this.deps.store.appendJobLogs(job.id, [{ time, line: message }]);
      const before = typeof job.params.before === 'string' ? job.params.before : null;
      counted = withHeld(counted, held, time, before);
    }
    return counted;
  }

  /**
   * Ends the pause. When deploys were held during it, and no deploy forced past it was asked for
   * after the last of them and is queued, running or completed (a rollback in the freeze
   * stands), the branch head is deployed now
   * (as `identity`, reporting to `origin`), as the latest of them would have been.
   */
  resume(id: string, identity: string | null, origin?: Record<string, unknown>): ResumeOutcome {
    return this.deps.store.transaction(() => {
      const workspace = this.get(id);
      const ended = this.pauseOf(id) ?? null;
      if (!ended) return { workspace, ended: null, job: null };
      this.deps.store.deleteRecord(PAUSES, id);
      const settled = ended.lastHeld !== null && this.forcedSince(id, ended.lastHeld.time);
      const job =
        ended.held > 0 && !settled
          ? this.deploy(id, { identity, ...(origin ? { origin } : {}) }).job
          : null;
      this.deps.pauseChanged?.(workspace, ended, { now: 'resumed', by: identity, job });
      this.deps.logger.info(
        { workspaceId: id, by: identity, held: ended.held, jobId: job?.id ?? null },
        `deploys of workspace '${workspace.name}' resumed${job ? `: ${ended.held === 1 ? '1 deploy was' : `${ended.held} deploys were`} held during the pause, the branch head is deployed` : ''}`,
      );
      return { workspace, ended, job };
    });
  }

  /**
   * Resumes each pause whose `until` has come, as `pause-expiry` (see {@link resume}); resolves
   * with how many. A workspace that cannot be resumed now (being deleted) is tried next time.
   */
  resumeExpired(): number {
    const now = this.deps.clock.now();
    let resumed = 0;
    for (const pause of this.pauses()) {
      if (!pause.until || Date.parse(pause.until) > now) continue;
      try {
        this.resume(pause.workspaceId, 'pause-expiry');
        resumed += 1;
      } catch (error) {
        this.deps.logger.warn(
          { err: error, workspaceId: pause.workspaceId },
          'could not end a pause at its time; trying again',
        );
      }
    }
    return resumed;
  }

  /**
   * Whether a deploy forced past the pause was asked for after `time` and is queued, running
   * or completed: what it deploys stands (the resume's deploy would supersede a queued one, or
   * undo it right after).
   */
  private forcedSince(id: string, time: string): boolean {
    return this.deps.store
      .listJobs(
        { target: workspaceTarget(id), status: ['QUEUED', 'RUNNING', 'COMPLETE'] },
        { offset: 0, limit: 50 },
      )
      .items.some((job) => job.params.force === true && job.created > time);
  }

  /**
   * Queues a deploy of the workspace. A newer deploy supersedes a queued older one; a known
   * delivery id returns the job it created. CONFLICT while the workspace is being deleted, and
   * while it is paused unless `force`d or `automatic` (held, then). A forced deploy settles
   * what the pause held before it unless it fails or is withdrawn: the resume deploys nothing
   * unless more is held after it.
   */
  deploy(id: string, request: DeployRequest = {}): EnqueueResult {
    const workspace = this.get(id);
    if (this.isBeingDeleted(id)) {
      // Its delete withdrew the jobs it found: one queued now would make again what it removes.
      throw new SlipwayError(
        'CONFLICT',
        `workspace '${workspace.name}' is being deleted; nothing more is deployed to it`,
      );
    }
    const commit = request.commitId ?? null;
    const before =
      request.before && isCommitId(request.before) && !/^0+$/.test(request.before)
        ? request.before.toLowerCase()
        : null;
    if (commit !== null && !isCommitId(commit)) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `"commit" is "${commit}"; expected a full commit id (40 hex characters, as git rev-parse prints it)`,
      );
    }
    const onBranch = request.onBranch === true && commit !== null && !request.plan;
    const pause = request.plan ? undefined : this.pauseOf(id);
    if (pause && !request.force && !request.automatic) {
      throw new SlipwayError(
        'CONFLICT',
        `${pausedSentence(workspace, pause)}; resume its deploys, or force the deploy (?force=true; slipway --force; the Action's force: true)`,
      );
    }
    const push = request.push === true && commit !== null;
    if (pause && !request.force) return this.hold(workspace, pause, request, push ? before : null);
    return this.deps.queue.enqueue({
      type: 'WORKSPACE_DEPLOY',
      // Plans get their own target: they change nothing, so they neither wait for deploys nor
      // supersede (or get superseded by) them, nor plans of another scope.
      target: request.plan
        ? `plan:${workspace.id}${request.planScope ? `:${request.planScope}` : ''}`
        : workspaceTarget(workspace.id),
      workspaceId: workspace.id,
      // A commit to prove on the branch becomes the job's once its deploy has proven it: until
      // then nothing reports on it (a check run on a fork's commit could be re-run on GitHub).
      commitId: onBranch ? null : (commit?.toLowerCase() ?? null),
      deliveryId: request.deliveryId ?? null,
      identity: request.identity ?? null,
      params: {
        ...(request.plan ? { plan: true } : {}),
        ...(push ? { push: true } : {}),
        ...(onBranch ? { onBranch: true, commit: commit.toLowerCase() } : {}),
        ...(push && before ? { before } : {}),
        ...(request.origin ? { origin: request.origin } : {}),
        // Not held by a pause that begins while it waits: someone deployed past one.
        ...(pause ? { force: true } : {}),
      },
      supersede: true,
      ...(push
        ? {
            spare: (queued: Job[]) => this.pushedOnTop(workspace.id, commit.toLowerCase(), queued),
          }
        : {}),
    });
  }

  /**
   * Records an automatic deploy of a paused workspace as held: a STOPPED job that says why (it
   * reports to `origin` as a skipped check run), counted in the pause for its resume. A push
   * keeps `push` and `before`, so that a push of an older commit delivered after the resume
   * does not take the workspace back. A commit the pause held already (the App and a branch
   * poll both saw the push) is held once.
   */
  private hold(
    workspace: Workspace,
    pause: WorkspacePause,
    request: DeployRequest,
    before: string | null,
  ): EnqueueResult {
    const commit = request.commitId?.toLowerCase() ?? null;
    return this.deps.store.transaction(() => {
      const earlierId = commit !== null ? pause.heldCommits?.[commit] : undefined;
      const earlier = earlierId ? this.deps.store.getJob(earlierId) : undefined;
      if (earlier) return { job: earlier, created: false, superseded: [] };
      const outcome = this.deps.queue.enqueue({
        type: 'WORKSPACE_DEPLOY',
        // Not a deploy's: it never runs, and what looks for the workspace's deploys (one under
        // way, one since a drift check) must not take it for one.
        target: `held:${workspace.id}`,
        workspaceId: workspace.id,
        // Not proven on the branch, but nothing is deployed: the commit only says what was held.
        commitId: commit,
        deliveryId: request.deliveryId ?? null,
        identity: request.identity ?? null,
        params: {
          held: true,
          ...(request.push && commit !== null ? { push: true } : {}),
          ...(before ? { before } : {}),
          ...(request.origin ? { origin: request.origin } : {}),
        },
        held: heldMessage(workspace, pause),
      });
      if (outcome.created) {
        this.deps.store.putRecord(
          PAUSES,
          workspace.id,
          '',
          withHeld(pause, outcome.job, outcome.job.created, before),
        );
        this.deps.logger.info(
          { workspaceId: workspace.id, jobId: outcome.job.id, commit, identity: request.identity },
          `deploy${commit ? ` of ${commit.slice(0, 12)}` : ''} held: ${pausedSentence(workspace, pause)}`,
        );
      }
      return outcome;
    });
  }

  /**
   * The queued push deploys made on top of `commit` (their pushes' `before`s, through the
   * pushes Slipway heard of, lead back to it): newer than a push of `commit` delivered late.
   */
  private pushedOnTop(workspaceId: string, commit: string, queued: Job[]): Set<string> {
    const spared = new Set<string>();
    const pushed = queued.filter((job) => job.params.push === true && job.params.before);
    if (pushed.length === 0) return spared;
    // Where each push heard of came from. A deploy may since have taken the branch head instead
    // of its own commit; that head is newer still, so the link stays true.
    const cameFrom = new Map<string, string>();
    const recent = this.deps.store.listJobs(
      { workspaceId, type: 'WORKSPACE_DEPLOY' },
      { offset: 0, limit: 100 },
    ).items;
    for (const job of recent) {
      const before = job.params.before;
      if (job.params.push === true && job.commitId && typeof before === 'string') {
        if (!cameFrom.has(job.commitId)) cameFrom.set(job.commitId, before);
      }
    }
    for (const job of pushed) {
      let at = job.params.before as string | undefined;
      for (let steps = 0; at !== undefined && steps <= recent.length; steps++) {
        if (at === commit) {
          spared.add(job.id);
          break;
        }
        at = cameFrom.get(at);
      }
    }
    return spared;
  }
}

/**
 * The pause once `job` (of its commit, from `before` when a push) was held at `time`: counted,
 * remembered, and the latest news unless a held push came after its commit (delivered late).
 */
function withHeld(
  pause: WorkspacePause,
  job: Job,
  time: string,
  before: string | null,
): WorkspacePause {
  const commit = job.commitId;
  const late = commit !== null && (pause.heldBefores ?? []).includes(commit);
  return {
    ...pause,
    held: pause.held + 1,
    lastHeld: late ? pause.lastHeld : { jobId: job.id, commitId: commit, time },
    heldCommits:
      commit === null
        ? pause.heldCommits
        : Object.fromEntries(
            Object.entries({ ...pause.heldCommits, [commit]: job.id }).slice(-MAX_REMEMBERED),
          ),
    heldBefores: before
      ? [...(pause.heldBefores ?? []), before].slice(-MAX_REMEMBERED)
      : pause.heldBefores,
  };
}

function refuseLabelWithoutPreviews(label: string): never {
  throw new SlipwayError(
    'BAD_REQUEST',
    `"previewLabel" is "${label}"; expected null unless "previews" is true: the label picks which pull requests get a preview`,
  );
}

/** A preview deploys one pull request; the pull requests of its branch get none of their own. */
function refusePreviewsOfPreview(workspace: Workspace, store: Store): void {
  const preview = store.getRecord<WorkspacePreview>(PREVIEWS, workspace.id);
  if (!preview) return;
  throw new SlipwayError(
    'BAD_REQUEST',
    `"previews" is true; expected false: workspace '${workspace.name}' is itself the preview of pull request #${preview.pullRequest}, and a preview gets no previews`,
  );
}
