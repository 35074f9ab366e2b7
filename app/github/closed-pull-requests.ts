import { errorMessage } from '../../core/errors.js';
import { type Periodic, runPeriodically } from '../../core/periodic.js';
import type { Logger } from '../../core/types.js';
import type {
  PreviewService,
  PullRequestNow,
  WorkspacePreview,
} from '../../core/workspaces/previews.js';

/** Between looks: each open preview costs one request (often free, see the class). */
const SCAN_INTERVAL_MS = 15 * 60_000;
/** One look at a pull request may take this long. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The fields of `GET /repos/{owner}/{repo}/pulls/{pull_number}` read here. */
interface PullRequest {
  state: string;
  updated_at?: string;
  merged?: boolean;
  merged_by?: { login?: string } | null;
  base?: { ref?: string };
  labels?: Array<{ name?: string }>;
}

/** What the last answer for an open pull request said, and its ETag. */
interface Seen {
  etag: string;
  now: PullRequestNow;
  updatedAt: string | undefined;
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
  /**
   * The installation that has `repository` (`owner/name`), as events told; with `ask`, as
   * GitHub says now.
   */
  installationOf(repository: string, ask?: boolean): Promise<number>;
  client(installationId: number): Promise<InstallationClient>;
}

/** GitHub refused for the rate limit: the rest of the scan would be refused too. */
class RateLimited extends Error {}

/**
 * A preview goes when its pull request's `closed` event arrives (or an event that leaves it
 * without the preview: retargeted to another base branch, its label taken off). If every
 * delivery of it was lost (Slipway away longer than GitHub keeps deliveries, or an answer GitHub
 * does not redeliver), nothing else would remove the preview: at start and every 15 minutes
 * this asks GitHub for the pull request of each open preview, and closes the previews of those
 * that closed, or that no longer get them, as the event would have. The requests are
 * conditional (`If-None-Match` with the last answer's ETag): an answer that did not change is a
 * 304, which GitHub does not count against the rate limit (its ETags hold for one token, and an
 * installation's token lasts an hour).
 */
export class ClosedPullRequests {
  private periodic: Periodic | undefined;
  /** The last answer for each open pull request (`owner/name#n`). */
  private readonly seen = new Map<string, Seen>();
  /** Aborted by `stop()`: ends the request under way, and the scan with it. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: ClosedPullRequestsOptions) {}

  start(): void {
    this.periodic = runPeriodically(
      SCAN_INTERVAL_MS,
      () => this.scan(),
      (error) =>
        this.options.logger.warn(
          { reason: errorMessage(error).slice(0, 300) },
          'could not look for the closed pull requests of previews; trying again at the next scan',
        ),
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.periodic?.stop();
  }

  /**
   * Asks GitHub for the pull request of every open preview (once per pull request, however
   * many workspaces preview it), and closes the previews of those that closed or no longer get
   * them (see the class); resolves with how many previews it closed. A pull request it cannot
   * read is left as it is, with a warning; GitHub's rate limit ends the scan, with one.
   */
  async scan(): Promise<number> {
    const pulls = new Map<string, WorkspacePreview>();
    for (const preview of this.options.previews.list()) {
      if (!preview.closed) pulls.set(`${preview.repository}#${preview.pullRequest}`, preview);
    }
    for (const key of this.seen.keys()) if (!pulls.has(key)) this.seen.delete(key);
    let closed = 0;
    for (const [key, preview] of pulls) {
      if (this.stopping.signal.aborted) break;
      try {
        closed += await this.check(key, preview);
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        const status = (error as { status?: unknown }).status;
        const reason = errorMessage(error).slice(0, 300);
        if (error instanceof RateLimited) {
          this.options.logger.warn(
            { reason },
            `GitHub's rate limit stopped the look for closed pull requests of previews; the next one is in ${SCAN_INTERVAL_MS / 60_000} minutes`,
          );
          break;
        }
        this.options.logger.warn(
          {
            repository: preview.repository,
            pullRequest: preview.pullRequest,
            ...(typeof status === 'number' ? { status } : {}),
            reason,
          },
          `could not ask GitHub whether pull request #${preview.pullRequest} of ${preview.repository} is still open; its previews stay until the next scan`,
        );
      }
    }
    return closed;
  }

  private async check(key: string, preview: WorkspacePreview): Promise<number> {
    const { repository, pullRequest } = preview;
    const seen = this.seen.get(key);
    const before = this.eventsHad(repository, pullRequest);
    let answer: { data: unknown; headers: Record<string, unknown> };
    try {
      answer = await this.ask(repository, pullRequest, seen?.etag);
    } catch (error) {
      // Not changed since the last answer, which said it was open: what it said still holds
      // (a preview made or moved since, by an event delivered late, is looked at again).
      if ((error as { status?: unknown }).status === 304 && seen) {
        const current = this.eventsHad(repository, pullRequest) === before;
        return this.moved(repository, pullRequest, seen.now, seen.updatedAt, current);
      }
      throw error;
    }
    // No event of the pull request was handled while GitHub answered: the answer is the
    // latest word, and decides what an event of the same second would leave undecided.
    const current = this.eventsHad(repository, pullRequest) === before;
    const pull = answer.data as PullRequest;
    if (pull.state !== 'closed') {
      const base = pull.base?.ref;
      if (typeof base !== 'string') return 0;
      const labels = (pull.labels ?? []).flatMap((label) =>
        typeof label.name === 'string' ? [label.name] : [],
      );
      const now = { base, labels };
      const etag = answer.headers.etag;
      if (typeof etag === 'string') this.seen.set(key, { etag, now, updatedAt: pull.updated_at });
      return this.moved(repository, pullRequest, now, pull.updated_at, current);
    }
    this.seen.delete(key);
    const merger = pull.merged ? pull.merged_by?.login : undefined;
    const closed = this.options.previews.close(
      repository,
      pullRequest,
      merger ? `github:${merger}` : 'github',
      { updatedAt: pull.updated_at, remember: true, current },
    );
    if (closed.length > 0) {
      this.options.logger.info(
        { repository, pullRequest, previews: closed.map((ws) => ws.name).sort() },
        `pull request #${pullRequest} of ${repository} closed without its event reaching Slipway; removing its previews`,
      );
    }
    return closed.length;
  }

  /** What Slipway had of the pull request's events: its previews' times and states. */
  private eventsHad(repository: string, pullRequest: number): string {
    return JSON.stringify(
      this.options.previews
        .list()
        .filter((p) => p.repository === repository && p.pullRequest === pullRequest)
        .map((p) => [p.workspaceId, p.updatedAt, p.reopenedAt, p.closed?.at]),
    );
  }

  /** Closes the previews an open pull request, as it is `now`, no longer gets. */
  private moved(
    repository: string,
    pullRequest: number,
    now: PullRequestNow,
    updatedAt: string | undefined,
    current: boolean,
  ): number {
    const moved = this.options.previews.close(repository, pullRequest, 'github', {
      updatedAt,
      remember: false,
      now,
      current,
    });
    if (moved.length > 0) {
      this.options.logger.info(
        {
          repository,
          pullRequest,
          base: now.base,
          labels: now.labels,
          previews: moved.map((ws) => ws.name).sort(),
        },
        `pull request #${pullRequest} of ${repository} no longer gets the previews it had (it merges into ${now.base}; labels: ${now.labels.join(', ') || 'none'}), and no event of it said so; removing them`,
      );
    }
    return moved.length;
  }

  /**
   * `GET` the pull request with the installation of its repository; a 404 asks GitHub once
   * which installation has the repository now (it may have been installed anew unheard).
   */
  private async ask(
    repository: string,
    pullRequest: number,
    etag: string | undefined,
  ): Promise<{ data: unknown; headers: Record<string, unknown> }> {
    const [owner, repo] = repository.split('/');
    const get = async (installationId: number) => {
      const client = await this.options.client(installationId);
      try {
        return await client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
          owner,
          repo,
          pull_number: pullRequest,
          headers: etag ? { 'if-none-match': etag } : {},
          request: {
            signal: AbortSignal.any([
              this.stopping.signal,
              AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            ]),
          },
        });
      } catch (error) {
        if (isRateLimited(error)) throw new RateLimited(String((error as Error).message));
        throw error;
      }
    };
    const known = await this.options.installationOf(repository);
    try {
      return await get(known);
    } catch (error) {
      if ((error as { status?: unknown }).status !== 404) throw error;
      const current = await this.options.installationOf(repository, true);
      if (current === known) throw error;
      return get(current);
    }
  }
}

/** A 429, or a 403 that says the rate limit is spent (or to retry later). */
function isRateLimited(error: unknown): boolean {
  const { status, response } = error as {
    status?: unknown;
    response?: { headers?: Record<string, unknown> };
  };
  if (status === 429) return true;
  const headers = response?.headers ?? {};
  return status === 403 && (headers['x-ratelimit-remaining'] === '0' || 'retry-after' in headers);
}
