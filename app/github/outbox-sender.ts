import type { OutboxEntry, Store } from '../../core/store/types.js';
import {
  type Clock,
  isoTime,
  type Job,
  type JobLogLine,
  type JobStatus,
  type Logger,
} from '../../core/types.js';
import {
  ANNOTATIONS_PER_REQUEST,
  briefOutput,
  type CheckRunUpdate,
  characters,
  checkRunUpdate,
  LOG_TAIL_LINES,
} from './check-run-update.js';
import { GITHUB_REQUEST_TIMEOUT_MS } from './octokit.js';
import { deployedInstead, type GitHubOrigin, githubOriginOf } from './origin.js';
import {
  CHECK_RUN_TOPIC,
  changeReport,
  DEPLOYMENT_TOPIC,
  type GitHubReport,
  REPORTS,
} from './record-reports.js';

/** The little of Octokit the sender uses: `request` with a route and its parameters. */
export interface GitHubClient {
  // biome-ignore lint/suspicious/noExplicitAny: GitHub's answers are read field by field
  request(route: string, parameters?: Record<string, unknown>): Promise<{ data: any }>;
}

export interface OutboxSenderOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** An Octokit authenticated as the installation. */
  client(installationId: number): Promise<GitHubClient>;
  /** Idle poll; new entries wake the sender at once. Default 1000 ms. */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to `maxDelayMs`. Defaults 500 ms and 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts before an entry is given up on. Default 25. */
  maxAttempts?: number;
  /**
   * How long one request to GitHub may take before it is abandoned and the entry retried, like
   * a 5xx. Default 30 s (Octokit has no timeout of its own, and Node's fetch waits 300 s for
   * an answer's headers).
   */
  requestTimeoutMs?: number;
  /**
   * Where people reach Slipway (`SLIPWAY_PUBLIC_URL`): a check run's Details and a deployment
   * status's log link to the job's page there. Without it they link nowhere (GitHub shows the
   * check run's own page).
   */
  publicUrl?: string;
}

/** What this sender sends of the outbox (other senders have topics of their own). */
const GITHUB_TOPICS = [CHECK_RUN_TOPIC, DEPLOYMENT_TOPIC];

const DEPLOYMENT_STATE: Record<JobStatus, string> = {
  QUEUED: 'queued',
  RUNNING: 'in_progress',
  COMPLETE: 'success',
  ERROR: 'failure',
  STOPPED: 'error',
};

/**
 * Sends the outbox to GitHub: check run creates and updates, deployments and their statuses, in
 * the order they were written. An entry a later one of the same job supersedes is skipped (even
 * when the later one went first because this one waits for a retry), so GitHub never goes back
 * in time; a failed send is retried with backoff (GitHub's `retry-after` and rate limit reset
 * first) on 5xx, rate limits, network errors and requests that had no answer in
 * `requestTimeoutMs`, and given up on other 4xx. A check run or deployment created before a
 * crash is found again (by `external_id` or payload), so each is made once.
 */
export class OutboxSender {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly pollMs: number;
  /** Aborted by `stop()`: ends the requests still in flight. */
  private stopping = new AbortController();

  constructor(private readonly options: OutboxSenderOptions) {
    this.pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.loop = this.run();
  }

  /**
   * Sends what is due for up to `drainMs` (a shutdown should not leave reports behind), then
   * stops: a request still waiting for GitHub is abandoned, and its entry stays for the next
   * start.
   */
  async stop(drainMs = 5000): Promise<void> {
    const deadline = Date.now() + drainMs;
    const { store, clock } = this.options;
    while (
      this.running &&
      Date.now() < deadline &&
      store.dueOutbox(clock.now(), 1, GITHUB_TOPICS).length > 0
    ) {
      this.wake();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.running = false;
    this.stopping.abort(new SenderStopped());
    this.wakeUp?.();
    await this.loop;
  }

  /** Sends what is due now (a new entry was written). */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      try {
        sent = await this.sendDue();
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox sender failed');
      }
      if (sent === 0 && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Sends the entries due now; returns how many it handled. */
  async sendDue(): Promise<number> {
    const { store, clock } = this.options;
    const due = store.dueOutbox(clock.now(), 50, GITHUB_TOPICS);
    for (const entry of due) {
      if (!this.running) break;
      await this.handle(entry);
    }
    return due.length;
  }

  private async handle(entry: OutboxEntry): Promise<void> {
    const { store, clock, logger } = this.options;
    const now = () => isoTime(clock.now());
    // A later entry of the same job, pending or already sent (this one was deferred), says
    // more: sending this one now would put the check run or deployment back in time.
    const later = store.outboxOf(entry.topic, entry.key).some((e) => e.id > entry.id);
    // A job deleted since is reported as it was then (its record keeps it).
    const kept = store.getJob(entry.key);
    const deleted = kept ? undefined : this.report(entry.key).deleted;
    const job = kept ?? deleted?.job;
    const origin = job ? githubOriginOf(job) : undefined;
    if (later || !job || !origin) {
      store.finishOutbox(entry.id, 'skipped', now(), later ? 'superseded' : 'job gone');
      return;
    }
    const status = entry.payload.status as JobStatus;
    try {
      const client = this.bounded(
        await this.untilAnswered('installation client', () =>
          this.options.client(origin.installationId),
        ),
      );
      const logTail = () => deleted?.logTail ?? store.readJobLogTail(job.id, LOG_TAIL_LINES);
      if (entry.topic === CHECK_RUN_TOPIC)
        await this.sendCheckRun(client, job, origin, status, logTail);
      else if (entry.topic === DEPLOYMENT_TOPIC && Array.isArray(entry.payload.inactive))
        await this.sendInactive(client, origin, entry.payload.inactive as string[]);
      else if (entry.topic === DEPLOYMENT_TOPIC)
        await this.sendDeployment(client, job, origin, status);
      store.finishOutbox(entry.id, 'sent', now());
    } catch (error) {
      if (this.stopping.signal.aborted) {
        logger.info(
          { jobId: job.id, topic: entry.topic, status },
          'GitHub report left for the next start',
        );
        return;
      }
      const failure = classify(error);
      const attempts = entry.attempts + 1;
      const where = {
        jobId: job.id,
        topic: entry.topic,
        status,
        attempts,
        httpStatus: failure.status,
      };
      if (!failure.retryable || attempts >= (this.options.maxAttempts ?? 25)) {
        store.finishOutbox(entry.id, 'dead', now(), failure.message);
        logger.warn({ ...where, reason: failure.message }, 'gave up reporting to GitHub');
        return;
      }
      const base = this.options.baseDelayMs ?? 500;
      const backoff = Math.min(base * 2 ** entry.attempts, this.options.maxDelayMs ?? 300_000);
      const delay = failure.retryAfterMs ?? backoff;
      store.deferOutbox(entry.id, clock.now() + delay, failure.message);
      logger.warn(
        { ...where, retryInMs: delay, reason: failure.message },
        'GitHub report failed; retrying',
      );
    }
  }

  /** `client` whose every request ends within `requestTimeoutMs`, or when the sender stops. */
  private bounded(client: GitHubClient): GitHubClient {
    return {
      request: (route, parameters = {}) =>
        this.untilAnswered(route, (signal) =>
          // Octokit hands `request.signal` to fetch, which then gives up the connection too.
          client.request(route, {
            ...parameters,
            request: { ...(parameters.request as object | undefined), signal },
          }),
        ),
    };
  }

  /**
   * What `call` resolves to, unless it takes longer than `requestTimeoutMs` (GitHubTimeout) or
   * the sender stops (SenderStopped) first. `call` gets a signal aborted then; whether or not
   * it heeds it (an installation token fetched inside Octokit's auth hook does not), the
   * sender goes on.
   */
  private untilAnswered<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS;
    const stopping = this.stopping.signal;
    const controller = new AbortController();
    const onStop = () => controller.abort(stopping.reason);
    const timer = setTimeout(() => controller.abort(new GitHubTimeout(what, timeoutMs)), timeoutMs);
    stopping.addEventListener('abort', onStop, { once: true });
    if (stopping.aborted) onStop();
    const abandoned = new Promise<never>((_, reject) => {
      const signal = controller.signal;
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const answered = controller.signal.aborted ? abandoned : call(controller.signal);
    return Promise.race([answered, abandoned]).finally(() => {
      clearTimeout(timer);
      stopping.removeEventListener('abort', onStop);
    });
  }

  private async sendCheckRun(
    client: GitHubClient,
    job: Job,
    origin: GitHubOrigin,
    status: JobStatus,
    logTail: () => JobLogLine[],
  ) {
    const { store } = this.options;
    const [owner, repo] = origin.repository.split('/');
    const workspace = job.workspaceId ? store.getWorkspace(job.workspaceId) : undefined;
    const update = checkRunUpdate(
      job,
      status,
      origin,
      logTail,
      workspace ? [workspace.deploymentSecret] : [],
    );
    const report = this.report(job.id);
    let id = report.checkRunId ?? (await this.findCheckRun(client, job, origin));
    if (id !== undefined && report.checkRunId === undefined)
      this.saveReport(job.id, origin, { checkRunId: id });
    // GitHub appends annotations: those an earlier try of this report got stored are not sent
    // again (they are the first ones: the report is the same, and sent in order).
    const stored =
      id !== undefined && update.annotations.length > 0
        ? await this.storedAnnotations(client, origin, id)
        : 0;
    const batches = chunks(update.annotations.slice(stored), ANNOTATIONS_PER_REQUEST);
    const body = {
      ...update.body,
      output: {
        ...update.body.output,
        ...(batches[0] ? { annotations: batches[0] } : {}),
      },
    };
    const sent = await this.sendCompleting(client, job, origin, status, id, body);
    if (id === undefined) {
      id = sent.id;
      this.saveReport(job.id, origin, { checkRunId: id });
    }
    if (sent.brief) return;
    for (const annotations of batches.slice(1)) {
      await client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        owner,
        repo,
        check_run_id: id,
        output: { ...update.body.output, annotations },
      });
    }
  }

  /**
   * Creates (`id` undefined) or updates the check run with `body`. GitHub's 422 on a report that
   * completes the run would leave it in progress for ever, and sending it again changes nothing:
   * the run is completed with the least output instead (conclusion and job), or with none.
   */
  private async sendCompleting(
    client: GitHubClient,
    job: Job,
    origin: GitHubOrigin,
    status: JobStatus,
    id: number | undefined,
    body: CheckRunUpdate['body'],
  ): Promise<{ id: number; brief: boolean }> {
    const [owner, repo] = origin.repository.split('/');
    const send = async (sent: Record<string, unknown>) => {
      const { data } =
        id === undefined
          ? await client.request('POST /repos/{owner}/{repo}/check-runs', {
              owner,
              repo,
              name: origin.checkName,
              head_sha: origin.headSha,
              external_id: job.id,
              ...(this.jobPage(job) ? { details_url: this.jobPage(job) } : {}),
              ...sent,
            })
          : await client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
              owner,
              repo,
              check_run_id: id,
              ...sent,
            });
      return (id ?? data.id) as number;
    };
    try {
      return { id: await send(body), brief: false };
    } catch (error) {
      if (body.status !== 'completed' || statusOf(error) !== 422) throw error;
      const { output, ...completion } = body;
      const reason = classify(error).message;
      this.options.logger.warn(
        { jobId: job.id, status, reason },
        'GitHub refused the check run report; completing it with a brief one',
      );
      try {
        return {
          id: await send({ ...completion, output: briefOutput(job, status, origin, reason) }),
          brief: true,
        };
      } catch (again) {
        if (statusOf(again) !== 422) throw again;
        return { id: await send(completion), brief: true };
      }
    }
  }

  /** How many annotations check run `id` has. */
  private async storedAnnotations(client: GitHubClient, origin: GitHubOrigin, id: number) {
    const [owner, repo] = origin.repository.split('/');
    const { data } = await client.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      owner,
      repo,
      check_run_id: id,
    });
    return Number(data.output?.annotations_count ?? 0);
  }

  /**
   * A check run this job made before a crash kept its id from being recorded. Every run of the
   * name on the commit is looked through (`filter: all`, page by page): by default GitHub lists
   * only the latest of a name, which is a re-run's, or a rollback's, when there is one.
   */
  private async findCheckRun(client: GitHubClient, job: Job, origin: GitHubOrigin) {
    const [owner, repo] = origin.repository.split('/');
    for (let page = 1; page <= FIND_PAGES; page++) {
      const { data } = await client.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
        owner,
        repo,
        ref: origin.headSha,
        check_name: origin.checkName,
        filter: 'all',
        per_page: 100,
        page,
      });
      const runs = data.check_runs as Array<{ id: number; external_id: string | null }>;
      const found = runs.find((run) => run.external_id === job.id);
      if (found) return found.id;
      if (runs.length < 100) return undefined;
    }
    return undefined;
  }

  private async sendDeployment(
    client: GitHubClient,
    job: Job,
    origin: GitHubOrigin,
    status: JobStatus,
  ) {
    const [owner, repo] = origin.repository.split('/');
    const report = this.report(job.id);
    let id = report.deploymentId ?? (await this.findDeployment(client, job, origin));
    if (id === undefined) {
      // Stopped before it ran: there is no deploy to show.
      if (status !== 'RUNNING' && !job.startTime) return;
      const { data } = await client.request('POST /repos/{owner}/{repo}/deployments', {
        owner,
        repo,
        ref: origin.headSha,
        environment: origin.environment,
        auto_merge: false,
        required_contexts: [],
        payload: { slipway_job: job.id },
        description: characters(`Slipway deploy of ${origin.environment}`, 140),
      });
      id = data.id as number;
    }
    if (report.deploymentId !== id) this.saveReport(job.id, origin, { deploymentId: id });
    const state = DEPLOYMENT_STATE[status];
    const { data: statuses } = await client.request(
      'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      { owner, repo, deployment_id: id, per_page: 1 },
    );
    // Sent before a crash kept it from being marked: once is enough.
    if ((statuses as Array<{ state: string }>)[0]?.state === state) return;
    await client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      owner,
      repo,
      deployment_id: id,
      state,
      description: characters(deploymentDescription(job, origin, status), 140),
      ...(this.jobPage(job) ? { log_url: this.jobPage(job) } : {}),
    });
  }

  /**
   * Marks `inactive` the GitHub deployments of `jobs` (a deleted workspace's deploys) that are
   * still active, newest first: GitHub then shows nothing running in the environment. An
   * `inactive` one ends the walk (those before it were marked already), and so does a `success`
   * once marked (GitHub made the successes before it inactive when they were superseded).
   */
  private async sendInactive(client: GitHubClient, origin: GitHubOrigin, jobs: string[]) {
    const [owner, repo] = origin.repository.split('/');
    const own = new Set(jobs);
    const { data } = await client.request('GET /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      environment: origin.environment,
      per_page: 100,
    });
    const deployments = (data as Array<{ id: number; payload: unknown }>).filter((d) =>
      own.has(String((d.payload as { slipway_job?: unknown } | null)?.slipway_job)),
    );
    for (const deployment of deployments) {
      const { data: statuses } = await client.request(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        { owner, repo, deployment_id: deployment.id, per_page: 1 },
      );
      const state = (statuses as Array<{ state: string }>)[0]?.state;
      if (state === 'inactive') return;
      await client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        owner,
        repo,
        deployment_id: deployment.id,
        state: 'inactive',
        description: characters(`workspace ${origin.environment} was removed`, 140),
      });
      if (state === 'success') return;
    }
  }

  /** The job's page, where Slipway's public address is known: check runs and deployments link it. */
  private jobPage(job: Job): string | undefined {
    const { publicUrl } = this.options;
    return publicUrl ? `${publicUrl}/jobs/${job.id}` : undefined;
  }

  private async findDeployment(client: GitHubClient, job: Job, origin: GitHubOrigin) {
    const [owner, repo] = origin.repository.split('/');
    const { data } = await client.request('GET /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      sha: origin.headSha,
      environment: origin.environment,
      per_page: 100,
    });
    const found = (data as Array<{ id: number; payload: unknown }>).find(
      (d) => (d.payload as { slipway_job?: string } | null)?.slipway_job === job.id,
    );
    return found?.id;
  }

  private report(jobId: string): GitHubReport {
    return this.options.store.getRecord<GitHubReport>(REPORTS, jobId) ?? {};
  }

  private saveReport(jobId: string, origin: GitHubOrigin, change: GitHubReport): void {
    changeReport(this.options.store, jobId, origin.repository, change);
  }
}

/** Pages of a commit's check runs looked through for one a crash kept unrecorded. */
const FIND_PAGES = 10;

/** A request to GitHub that had no answer in time: retried, like a 5xx. */
class GitHubTimeout extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what}: no answer from GitHub within ${timeoutMs} ms`);
    this.name = 'GitHubTimeout';
  }
}

/** A request abandoned because the sender stopped: its entry is sent on the next start. */
class SenderStopped extends Error {
  constructor() {
    super('the GitHub report sender stopped');
    this.name = 'SenderStopped';
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface Failure {
  retryable: boolean;
  status: number | undefined;
  message: string;
  retryAfterMs?: number;
}

/** How long GitHub asks a client to wait after a secondary rate limit that names no time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;

/**
 * Whether a failed GitHub call is worth retrying, and when. A rate limit waits as GitHub's
 * docs ask: `retry-after` when given; else, with no requests left, until `x-ratelimit-reset`;
 * else (a secondary limit) at least a minute.
 */
export function classify(error: unknown): Failure {
  if (error instanceof GitHubTimeout)
    return { retryable: true, status: undefined, message: error.message };
  const e = error as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, string | undefined> };
  };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const message = String(e.message ?? error).slice(0, 500);
  const headers = e.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  const reset = Number(headers['x-ratelimit-reset']);
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (headers['retry-after'] !== undefined ||
        headers['x-ratelimit-remaining'] === '0' ||
        /rate limit/i.test(message)));
  const exhausted = headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset);
  const retryAfterMs =
    headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0
      ? retryAfter * 1000
      : !rateLimited
        ? undefined
        : exhausted
          ? Math.max(0, reset * 1000 - Date.now()) + 100
          : SECONDARY_LIMIT_WAIT_MS;
  // Octokit reports network failures as status 500; no status at all is a bug of ours.
  const retryable = status !== undefined && (status >= 500 || rateLimited);
  return { retryable, status, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/**
 * A deployment status's description: the job's message, or its status; for a late push's
 * deploy of the branch head, which commit it deployed.
 */
function deploymentDescription(job: Job, origin: GitHubOrigin, status: JobStatus): string {
  const said = job.message ?? status.toLowerCase();
  const deployed = deployedInstead(job, origin);
  return deployed ? `branch head ${deployed.slice(0, 7)} in place of this commit: ${said}` : said;
}
