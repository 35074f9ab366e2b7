import { type Periodic, runPeriodically } from '../../core/periodic.js';
import type { Logger } from '../../core/types.js';
import type { PreviewService, WorkspacePreview } from '../../core/workspaces/previews.js';

/** Between looks: each open preview costs one request (free when nothing changed, see `scan`). */
const SCAN_INTERVAL_MS = 15 * 60_000;
/** One look at a pull request may take this long. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The fields of `GET /repos/{owner}/{repo}/pulls/{pull_number}` read here. */
interface PullRequest {
  state: string;
  base?: { ref?: string };
  updated_at?: string;
  merged?: boolean;
  merged_by?: { login?: string } | null;
}

/** The little of Octokit this uses, authenticated as an installation (its token). */
export interface InstallationClient {
  request(
    route: string,
    parameters?: Record<string, unknown>,
  ): Promise<{ data: unknown; headers: Record<string, unknown> }>;
}

export interface ClosedPullRequestsOptions {
  previews: PreviewService;
  logger: Logger;
  /** The installation that has `repository` (`owner/name`), as events told or GitHub says. */
  installationOf(repository: string): Promise<number>;
  client(installationId: number): Promise<InstallationClient>;
}

/**
 * A preview goes when its pull request's `closed` event arrives (or an `edited` one that moves
 * it to another base branch). If every delivery of it was lost (Slipway away longer than GitHub
 * keeps deliveries, or an answer GitHub does not redeliver), nothing else would remove the
 * preview: at start and every 15 minutes this asks GitHub for the pull request of each open
 * preview, and closes the previews of those that closed (or of workspaces of a branch the pull
 * request no longer merges into), as the event would have. The requests are conditional (`If-None-Match` with the last
 * answer's ETag): a pull request that did not change costs nothing of the rate limit.
 */
export class ClosedPullRequests {
  private periodic: Periodic | undefined;
  /** The ETag of the last answer for each open pull request (`owner/name#n`). */
  private readonly etags = new Map<string, string>();

  constructor(private readonly options: ClosedPullRequestsOptions) {}

  start(): void {
    this.periodic = runPeriodically(
      SCAN_INTERVAL_MS,
      () => this.scan(),
      (error) =>
        this.options.logger.warn(
          { reason: String((error as Error)?.message ?? error).slice(0, 300) },
          'could not look for the closed pull requests of previews; trying again at the next scan',
        ),
    );
  }

  async stop(): Promise<void> {
    await this.periodic?.stop();
  }

  /**
   * Asks GitHub for the pull request of every open preview (once per pull request, however
   * many workspaces preview it), and closes the previews of those that closed or were
   * retargeted (see the class); resolves with how many previews it closed. A pull request it cannot read is left as it is, with a warning.
   */
  async scan(): Promise<number> {
    const pulls = new Map<string, WorkspacePreview>();
    for (const preview of this.options.previews.list()) {
      if (!preview.closed) pulls.set(`${preview.repository}#${preview.pullRequest}`, preview);
    }
    for (const key of this.etags.keys()) if (!pulls.has(key)) this.etags.delete(key);
    let closed = 0;
    for (const [key, preview] of pulls) {
      try {
        closed += await this.check(key, preview);
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        this.options.logger.warn(
          {
            repository: preview.repository,
            pullRequest: preview.pullRequest,
            ...(typeof status === 'number' ? { status } : {}),
            reason: String((error as Error)?.message ?? error).slice(0, 300),
          },
          `could not ask GitHub whether pull request #${preview.pullRequest} of ${preview.repository} is still open; its previews stay until the next scan`,
        );
      }
    }
    return closed;
  }

  private async check(key: string, preview: WorkspacePreview): Promise<number> {
    const { repository, pullRequest } = preview;
    const client = await this.options.client(await this.options.installationOf(repository));
    const [owner, repo] = repository.split('/');
    const etag = this.etags.get(key);
    let answer: { data: unknown; headers: Record<string, unknown> };
    try {
      answer = await client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner,
        repo,
        pull_number: pullRequest,
        headers: etag ? { 'if-none-match': etag } : {},
        request: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      });
    } catch (error) {
      // Not modified since the last answer, which said it was open.
      if ((error as { status?: unknown }).status === 304) return 0;
      throw error;
    }
    const pull = answer.data as PullRequest;
    if (pull.state !== 'closed') {
      if (typeof answer.headers.etag === 'string') this.etags.set(key, answer.headers.etag);
      const base = pull.base?.ref;
      if (typeof base !== 'string') return 0;
      // Retargeted unheard: the previews of workspaces of its former base branch go.
      const moved = this.options.previews.close(repository, pullRequest, 'github', {
        updatedAt: pull.updated_at,
        remember: false,
        base,
      });
      if (moved.length > 0) {
        this.options.logger.info(
          { repository, pullRequest, base, previews: moved.map((ws) => ws.name).sort() },
          `pull request #${pullRequest} of ${repository} now merges into ${base}, and no event of it said so; removing its previews of workspaces of other branches`,
        );
      }
      return moved.length;
    }
    this.etags.delete(key);
    const merger = pull.merged ? pull.merged_by?.login : undefined;
    const closed = this.options.previews.close(
      repository,
      pullRequest,
      merger ? `github:${merger}` : 'github',
      { updatedAt: pull.updated_at, remember: true },
    );
    if (closed.length > 0) {
      this.options.logger.info(
        { repository, pullRequest, previews: closed.map((ws) => ws.name).sort() },
        `pull request #${pullRequest} of ${repository} closed without its event reaching Slipway; removing its previews`,
      );
    }
    return closed.length;
  }
}
