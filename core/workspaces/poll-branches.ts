import { isSlipwayError } from '../errors.js';
import { type Periodic, runPeriodically } from '../periodic.js';
import type { SourceFetcher } from '../source/types.js';
import type { Store } from '../store/types.js';
import type { Logger, Workspace } from '../types.js';
import type { WorkspaceService } from './workspace-service.js';

/** The branch head a workspace's last poll saw. */
interface SeenHead {
  head: string;
  /** How many moves of the branch were queued: each one's deploy is keyed by its number. */
  moves: number;
}

export interface BranchPollerOptions {
  store: Store;
  source: SourceFetcher;
  workspaces: WorkspaceService;
  logger: Logger;
  /** Between polls (SLIPWAY_POLL_SECONDS). */
  intervalMs: number;
  /** Where a polled deploy of `commit` reports, as a push's does (see `EngineDeps.reportsTo`). */
  reportsTo?: (workspace: Workspace, commit: string) => Record<string, unknown> | undefined;
}

/**
 * Deploys each workspace whose branch moved, for repositories that send Slipway no webhook (a
 * git server other than GitHub) or sent one that never arrived: at start and every `intervalMs`
 * it asks each workspace's repository for the head of its branch (`git ls-remote`, nothing is
 * fetched) and queues a deploy of it when the workspace has neither deployed that commit nor
 * seen it at the head before. So a commit deployed by name (a rollback) stands until the branch
 * moves again, as it does with pushes. A workspace whose deploy is queued or running is looked at
 * next time. The deploy is a push's: a newer head queued later supersedes it.
 */
export class BranchPoller {
  private periodic: Periodic | undefined;
  /** The last failure said per workspace, so a repository that stays out of reach is said once. */
  private readonly failing = new Map<string, string>();
  /** Ends a pass under way at the next workspace. */
  private stopped = false;

  constructor(private readonly options: BranchPollerOptions) {}

  start(): void {
    const { intervalMs, logger } = this.options;
    this.stopped = false;
    logger.info(
      { intervalSeconds: intervalMs / 1000 },
      `polling the branch of every workspace every ${intervalMs / 1000} s; a head that moved is deployed`,
    );
    this.periodic = runPeriodically(
      intervalMs,
      () => this.poll(),
      (error) => logger.warn({ err: error }, 'could not poll the branches of the workspaces'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.periodic?.stop();
  }

  /** One pass over every workspace; resolves with how many deploys it queued. */
  poll(): Promise<number> {
    return this.options.workspaces.visitAll(
      (workspace) => this.pollOne(workspace),
      () => this.stopped,
    );
  }

  /** Polls one workspace; what goes wrong with it is said and leaves the others be. */
  private async pollOne(listed: Workspace): Promise<boolean> {
    try {
      return await this.pollWorkspace(listed);
    } catch (error) {
      // Deleted while the pass went on: nothing left to poll.
      if (isSlipwayError(error, 'NOT_FOUND')) return false;
      this.options.logger.warn(
        { err: error, workspaceId: listed.id },
        `could not poll the branch of workspace '${listed.name}'`,
      );
      return false;
    }
  }

  private async pollWorkspace(listed: Workspace): Promise<boolean> {
    const { store, source, workspaces, logger } = this.options;
    if (workspaces.deployUnderWay(listed.id) || !source.head) return false;
    let head: string;
    try {
      head = await source.head(listed.repositoryUrl, listed.branch);
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      if (this.failing.get(listed.id) !== reason) {
        logger.warn(
          { workspaceId: listed.id, reason },
          `could not read the head of branch ${listed.branch} of workspace '${listed.name}'; polling it goes on`,
        );
      }
      this.failing.set(listed.id, reason);
      return false;
    }
    this.failing.delete(listed.id);
    // As it is now, after the read: a deploy may have ended meanwhile.
    const workspace = workspaces.get(listed.id);
    // A deploy now would make again what the delete under way removes.
    if (workspaces.isBeingDeleted(workspace.id)) return false;
    const saved = store.getRecord<SeenHead>('branch-heads', workspace.id);
    if (head === saved?.head) return false;
    const record = (moves: number) =>
      store.putRecord('branch-heads', workspace.id, '', { head, moves } satisfies SeenHead);
    // The first look only learns the head (a rollback made before polling began stands), unless
    // the workspace never deployed; so does a head the workspace runs already.
    if (
      (saved === undefined && workspace.lastCommitId !== null) ||
      head === workspace.lastCommitId
    ) {
      record(saved?.moves ?? 0);
      return false;
    }
    const moves = (saved?.moves ?? 0) + 1;
    const origin = this.options.reportsTo?.(workspace, head);
    const { job, created } = workspaces.deploy(workspace.id, {
      commitId: head,
      // Each move of the branch is queued once, however often it is polled (a crash before the
      // record is written too); a branch reset to an earlier head is a move of its own.
      deliveryId: `poll:${workspace.id}:${moves}:${head}`,
      identity: 'branch-poll',
      push: true,
      automatic: true,
      before: saved?.head ?? workspace.lastCommitId,
      ...(origin ? { origin } : {}),
    });
    record(moves);
    if (created && job.status === 'STOPPED') {
      logger.info(
        { workspaceId: workspace.id, jobId: job.id, commit: head },
        `branch ${workspace.branch} of workspace '${workspace.name}' moved to ${head.slice(0, 12)}: held, its deploys are paused`,
      );
    } else if (created) {
      logger.info(
        { workspaceId: workspace.id, jobId: job.id, commit: head, before: saved?.head ?? null },
        `branch ${workspace.branch} of workspace '${workspace.name}' moved to ${head.slice(0, 12)}: deploy queued`,
      );
    }
    return created;
  }
}
