import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Probot } from 'probot';
import { slipwayOctokit } from '../../app/github/octokit.js';
import { originParams } from '../../app/github/origin.js';
import {
  type GitHubClient,
  OutboxSender,
  type OutboxSenderOptions,
} from '../../app/github/outbox-sender.js';
import { CHECK_RUN_TOPIC, recordReports } from '../../app/github/record-reports.js';
import { JobQueue, observeJobChanges } from '../../core/jobs/index.js';
import { openSqliteStore } from '../../core/store/sqlite.js';
import type { Store } from '../../core/store/types.js';
import { type Job, type JobStatus, type Logger, systemClock } from '../../core/types.js';
import {
  type GitHubApiServer,
  type RecordedCheckRun,
  startGitHubApiServer,
} from '../fakes/github/index.js';
import { eventually } from './wait.js';

export const REPO = 'acme/shop';

/** A logger that keeps what it was told, for tests that read the warnings. */
export function recordingLogger(): Logger & {
  lines: Array<{ level: string; msg: string; obj: object }>;
} {
  const lines: Array<{ level: string; msg: string; obj: object }> = [];
  const at = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(
      typeof obj === 'string' ? { level, msg: obj, obj: {} } : { level, msg: msg ?? '', obj },
    );
  };
  const logger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

export interface Reporting {
  github: GitHubApiServer;
  /** An Octokit of the installation, as another GitHub client (a person, another app) has one. */
  octokit(): Promise<GitHubClient>;
  /** The store the sender reads (without the job change observer). */
  store: Store;
  /** The sender running now. */
  readonly sender: OutboxSender;
  /** Starts a new sender on the same store (the last one stopped): as Slipway starts again. */
  restart(): OutboxSender;
  logger: ReturnType<typeof recordingLogger>;
  /** Queues a deploy of the repository's head and claims it: RUNNING. */
  start(): Job;
  /** Ends `job` at `status` with `patch` (result, message), after writing `logLines`. */
  finish(job: Job, status: JobStatus, patch?: Partial<Job>, logLines?: string[]): Job;
  /** Deletes an ended `job` with its log, as `DELETE /api/jobs/{id}` does. */
  remove(job: Job): void;
  /** `start()`, then `finish()`. */
  deploy(status: JobStatus, patch?: Partial<Job>, logLines?: string[]): Job;
  /** The check run of `job` once it is completed and its outbox entries are done. */
  completed(job: Job, timeoutMs?: number): Promise<RecordedCheckRun>;
  close(): Promise<void>;
}

/**
 * Slipway's GitHub reporting as the server wires it, against the GitHub API test server: a
 * SQLite store whose job changes write outbox entries (`recordReports`), and the outbox sender
 * reaching GitHub through Probot's Octokit (`slipwayOctokit`, as in `github-app.ts`).
 */
export async function startReporting(
  options: Partial<Omit<OutboxSenderOptions, 'store' | 'client'>> = {},
): Promise<Reporting> {
  const github = await startGitHubApiServer();
  // No git directory behind the repository: any commit SHA is taken, and no request waits on git.
  const installationId = github.addInstallation('acme', [REPO]).id;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-outbox-'));
  const inner = openSqliteStore(path.join(dataDir, 'slipway.db'));
  let sender: OutboxSender | undefined;
  const store = observeJobChanges(
    inner,
    recordReports(inner, systemClock, () => sender?.wake()),
  );
  const queue = new JobQueue(store, systemClock);
  const probot = new Probot({
    appId: github.appId,
    privateKey: github.privateKey,
    baseUrl: github.baseUrl,
    logLevel: 'fatal',
    Octokit: slipwayOctokit(),
  });
  const logger = options.logger
    ? (options.logger as ReturnType<typeof recordingLogger>)
    : recordingLogger();
  const newSender = () =>
    new OutboxSender({
      store: inner,
      clock: systemClock,
      logger,
      client: async (id) => (await probot.auth(id)) as unknown as GitHubClient,
      pollMs: 50,
      baseDelayMs: 20,
      maxDelayMs: 200,
      ...options,
    });
  sender = newSender();
  sender.start();

  const reporting: Reporting = {
    github,
    octokit: async () => (await probot.auth(installationId)) as unknown as GitHubClient,
    store: inner,
    get sender() {
      return sender as OutboxSender;
    },
    restart() {
      sender = newSender();
      sender.start();
      return sender;
    },
    logger,
    start() {
      const sha = randomBytes(20).toString('hex');
      const { job } = queue.enqueue({
        type: 'WORKSPACE_DEPLOY',
        target: `workspace:shop:${randomUUID()}`,
        commitId: sha,
        params: {
          origin: originParams({
            installationId,
            repository: REPO,
            headSha: sha,
            kind: 'deploy',
            checkName: 'Slipway / shop',
            environment: 'shop',
          }),
        },
      });
      return store.claimJob('worker', Date.now(), Date.now() + 60_000) ?? job;
    },
    finish(job, status, patch = {}, logLines = []) {
      for (let i = 0; i < logLines.length; i += 1000) {
        const time = new Date().toISOString();
        inner.appendJobLogs(
          job.id,
          logLines.slice(i, i + 1000).map((line) => ({ time, line })),
        );
      }
      return store.updateJob(job.id, {
        status,
        endTime: new Date().toISOString(),
        ...patch,
      }) as Job;
    },
    remove(job) {
      queue.deleteEnded(job.id);
    },
    deploy(status, patch, logLines) {
      return reporting.finish(reporting.start(), status, patch, logLines);
    },
    async completed(job, timeoutMs = 15_000) {
      return eventually(
        () => {
          const run = github.checkRuns(REPO).find((r) => r.external_id === job.id);
          const pending = inner
            .outboxOf(CHECK_RUN_TOPIC, job.id)
            .some((entry) => entry.state === 'pending');
          return run?.status === 'completed' && !pending ? run : undefined;
        },
        `the check run of job ${job.id} to be completed`,
        timeoutMs,
      );
    },
    async close() {
      await sender?.stop(0);
      inner.close();
      await github.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return reporting;
}
