import type { SourceFetcher } from '../source/types.js';
import type { Store } from '../store/types.js';
import type { Logger, Workspace } from '../types.js';
import { type WorkspaceService, workspaceTarget } from './workspace-service.js';

const PAGE = 200;

/** The branch head a workspace's last poll saw. */
interface SeenHead {
  head: string;
}

export interface BranchPollerOptions {
  store: Store;
  source: SourceFetcher;
  workspaces: WorkspaceService;
  logger: Logger;
  /** Between polls (SLIPWAY_POLL_SECONDS). */
  intervalMs: number;
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
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** The last failure said per workspace, so a repository that stays out of reach is said once. */
  private readonly failing = new Map<string, string>();
  private stopped = false;

  constructor(private readonly options: BranchPollerOptions) {}

  start(): void {
    this.stopped = false;
    const seconds = this.options.intervalMs / 1000;
    this.options.logger.info(
      { intervalSeconds: seconds },
      `polling the branch of every workspace every ${seconds} s; a head that moved is deployed`,
    );
    void this.pollSafely();
    this.timer = setInterval(() => void this.pollSafely(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.polling;
  }

  private async pollSafely(): Promise<void> {
    if (this.polling) return;
    this.polling = this.poll().then(
      () => undefined,
      (error: unknown) => {
        this.options.logger.warn({ err: error }, 'could not poll the branches of the workspaces');
      },
    );
    await this.polling;
    this.polling = undefined;
  }

  /** One pass over every workspace; resolves with how many deploys it queued. */
  async poll(): Promise<number> {
    let queued = 0;
    for (let offset = 0; !this.stopped; offset += PAGE) {
      const page = this.options.workspaces.list({ offset, limit: PAGE });
      for (const workspace of page.items) {
        if (this.stopped) break;
        if (await this.pollOne(workspace)) queued += 1;
      }
      if (offset + PAGE >= page.total) break;
    }
    return queued;
  }

  private async pollOne(workspace: Workspace): Promise<boolean> {
    const { store, source, workspaces, logger } = this.options;
    const busy = store.listJobs(
      { target: workspaceTarget(workspace.id), status: ['QUEUED', 'RUNNING'] },
      { offset: 0, limit: 1 },
    );
    if (busy.items.length > 0 || !source.head) return false;
    let head: string;
    try {
      head = await source.head(workspace.repositoryUrl, workspace.branch);
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      if (this.failing.get(workspace.id) !== reason) {
        logger.warn(
          { workspaceId: workspace.id, reason },
          `could not read the head of branch ${workspace.branch} of workspace '${workspace.name}'; polling it goes on`,
        );
      }
      this.failing.set(workspace.id, reason);
      return false;
    }
    this.failing.delete(workspace.id);
    const seen = store.getRecord<SeenHead>('branch-heads', workspace.id)?.head;
    if (head === seen) return false;
    store.putRecord('branch-heads', workspace.id, '', { head } satisfies SeenHead);
    if (head === workspace.lastCommitId) return false;
    const { job, created } = workspaces.deploy(workspace.id, {
      commitId: head,
      // The same head is queued once, however often it is polled (a crash in between too).
      deliveryId: `poll:${workspace.id}:${head}`,
      identity: 'branch-poll',
      push: true,
      before: seen ?? workspace.lastCommitId,
    });
    if (created) {
      logger.info(
        { workspaceId: workspace.id, jobId: job.id, commit: head, before: seen ?? null },
        `branch ${workspace.branch} of workspace '${workspace.name}' moved to ${head.slice(0, 12)}: deploy queued`,
      );
    }
    return created;
  }
}
