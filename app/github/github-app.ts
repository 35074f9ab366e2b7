import type { Logger as PinoLogger } from 'pino';
import { Probot } from 'probot';
import type { Engine } from '../../core/engine.js';
import { isSlipwayError, SlipwayError } from '../../core/errors.js';
import type { GitHubAccess } from '../../core/source/git.js';
import { GroupCommit } from '../../core/store/group-commit.js';
import type { Store } from '../../core/store/types.js';
import type { Clock, Workspace } from '../../core/types.js';
import { ClosedPullRequests, type InstallationClient } from './closed-pull-requests.js';
import { Installations } from './installations.js';
import { slipwayOctokit } from './octokit.js';
import { checkNameOf, type GitHubOrigin, originParams } from './origin.js';
import { type GitHubClient, OutboxSender } from './outbox-sender.js';
import { type AppClient, FailedDeliveries } from './redeliver-failed-deliveries.js';
import { repositoryKey } from './repository-key.js';
import { type DeliveryOutcome, slipwayApp } from './slipway-app.js';

export interface GitHubAppOptions {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  /** `GHE_HOST` and `GHE_PROTOCOL`: a GitHub Enterprise Server (or the test server). */
  gheHost?: string;
  gheProtocol?: 'http' | 'https';
  /** `SLIPWAY_PUBLIC_URL`: check runs and deployments link to the job's page there. */
  publicUrl?: string;
  engine: Engine;
  /** The store without the job change observer (the sender writes no job). */
  store: Store;
  clock: Clock;
  logger: PinoLogger;
  /** Outbox retry timing (tests shorten it). */
  senderPollMs?: number;
}

export interface GitHubApp {
  /** Whether `signature` (`sha256=...`) is the body's HMAC with the webhook secret. */
  verify(body: string, signature: string): Promise<boolean>;
  /** Hands a verified event to Probot; resolves with the jobs it queued. */
  receive(id: string, name: string, payload: unknown): Promise<DeliveryOutcome>;
  /** Clone URL and installation token for an `owner/name` repository (the source's hook). */
  /** `refresh`: git was refused the last token; ask GitHub again (see `GitSourceOptions`). */
  access(repository: string, options?: { refresh?: boolean }): Promise<GitHubAccess>;
  /**
   * The job origin that makes a deploy (or plan) of `workspace` report to GitHub, as a push's
   * does: when its repository is on GitHub and an installation of the App the server has seen
   * covers it. Undefined otherwise (no request is made to find out). Without `commit`, the
   * reports are on the commit the deploy fetches, from when it is known.
   */
  originFor(
    workspace: Workspace,
    kind: GitHubOrigin['kind'],
    commit?: string,
  ): Record<string, unknown> | undefined;
  /** The outbox has new entries. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Slipway as a Probot GitHub App inside the server (DESIGN.md section 8): Probot verifies and
 * dispatches webhooks to the handlers of `slipway-app.ts`, its installation tokens fetch private
 * repositories, and the outbox sender reports check runs and deployments, through
 * `slipwayOctokit` (no retry or throttling of Octokit's own, a time limit on every request).
 */
export async function createGitHubApp(options: GitHubAppOptions): Promise<GitHubApp> {
  const { engine, store, clock } = options;
  const logger = options.logger.child({ component: 'github' });
  // Probot logs every webhook payload and GitHub request body at debug: never let it.
  const probotLog = options.logger.child(
    { component: 'github' },
    { level: options.logger.levelVal < 30 ? 'info' : options.logger.level },
  );
  const baseUrl = options.gheHost
    ? `${options.gheProtocol ?? 'https'}://${options.gheHost}/api/v3`
    : 'https://api.github.com';
  const gitHost = options.gheHost
    ? `${options.gheProtocol ?? 'https'}://${options.gheHost}`
    : 'https://github.com';
  const probot = new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    secret: options.webhookSecret,
    baseUrl,
    log: probotLog,
    Octokit: slipwayOctokit(),
  });
  const installations = new Installations(store, clock);
  const outcomes = new Map<string, DeliveryOutcome>();
  const inflight = new Map<string, Promise<DeliveryOutcome>>();
  await probot.load(
    slipwayApp({
      engine,
      installations,
      outcomes,
      commits: new GroupCommit(store),
      ...(options.gheHost ? { gheHost: options.gheHost } : {}),
    }),
  );
  const sender = new OutboxSender({
    store,
    clock,
    logger,
    client: async (installationId) =>
      (await probot.auth(installationId)) as unknown as GitHubClient,
    ...(options.senderPollMs ? { pollMs: options.senderPollMs } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  });
  const failedDeliveries = new FailedDeliveries({
    store,
    clock,
    logger,
    app: async () => (await probot.auth()) as unknown as AppClient,
  });
  const closedPullRequests = new ClosedPullRequests({
    previews: engine.previews,
    logger,
    installationOf: (repository, ask) => installationOf(repository, ask),
    client: async (installationId) =>
      (await probot.auth(installationId)) as unknown as InstallationClient,
  });
  let stopped = false;

  /** The installation that has `repository`: as events told, or (`ask`) as GitHub says now. */
  async function installationOf(repository: string, ask = false): Promise<number> {
    const known = installations.find(repository);
    if (known && !ask) return known.id;
    const [owner = '', repo = ''] = repository.split('/');
    const app = await probot.auth();
    try {
      const { data } = await app.request('GET /repos/{owner}/{repo}/installation', { owner, repo });
      const account = data.account && 'login' in data.account ? data.account.login : String(owner);
      installations.seen(data.id, account, repository);
      return data.id;
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        throw new SlipwayError(
          'NOT_FOUND',
          `the GitHub App is not installed on ${repository}; install it there to deploy from it`,
        );
      }
      throw error;
    }
  }

  // Installation tokens for git, reused until five minutes before they expire. (Asked of the App
  // directly: an installation Octokit's own `auth()` ignores `baseUrl`.)
  const tokens = new Map<number, { token: string; expires: number }>();
  async function tokenOf(installationId: number): Promise<string> {
    const cached = tokens.get(installationId);
    if (cached && cached.expires - 5 * 60_000 > clock.now()) return cached.token;
    const app = await probot.auth();
    const { data } = await app
      .request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installationId,
      })
      .catch((error: { status?: number; message?: string }) => {
        if (error.status !== 403 || !/suspended/i.test(error.message ?? '')) throw error;
        const installation = installations.get(installationId);
        throw new SlipwayError(
          'FORBIDDEN',
          `the GitHub App is suspended on ${installation?.account ?? `installation ${installationId}`}: lift the suspension in the account's settings (Applications, Installed GitHub Apps) to deploy from its repositories`,
        );
      });
    tokens.set(installationId, { token: data.token, expires: Date.parse(data.expires_at) });
    return data.token;
  }

  return {
    verify: (body, signature) => probot.webhooks.verify(body, signature),
    async receive(id, name, payload) {
      // Outcomes are kept by delivery id: two copies of one delivery (GitHub redelivering while
      // the first is being handled) take turns, the second finding the first one's jobs.
      const earlier = inflight.get(id);
      const handled = (async () => {
        await earlier?.catch(() => {});
        try {
          await probot
            .receive({ id, name, payload } as Parameters<Probot['receive']>[0])
            .catch((error: unknown) => {
              throw handlerFailure(error);
            });
          // An event Slipway handles for some actions only names the action it left alone.
          const action = (payload as { action?: unknown }).action;
          const what = typeof action === 'string' ? `${name}.${action}` : `${name} events`;
          return outcomes.get(id) ?? { jobs: [], ignored: `Slipway does nothing on ${what}` };
        } finally {
          outcomes.delete(id);
        }
      })();
      inflight.set(id, handled);
      try {
        return await handled;
      } finally {
        if (inflight.get(id) === handled) inflight.delete(id);
      }
    },
    async access(repository, { refresh = false } = {}) {
      const url = `${gitHost}/${repository}.git`;
      if (!refresh) {
        const installationId = await installationOf(repository);
        try {
          return { url, token: await tokenOf(installationId) };
        } catch (error) {
          if ((error as { status?: number }).status !== 404) throw error;
          installations.remove(installationId);
          logger.warn(
            { installationId, repository },
            'GitHub App installation no longer exists; looking up the current one',
          );
        }
      }
      // git was refused the token, or the installation is gone: it was removed, or the
      // repository moved to another one, without an event reaching us. Ask GitHub which
      // installation has the repository now, and take a new token.
      const stale = installations.find(repository);
      if (stale) tokens.delete(stale.id);
      const current = await installationOf(repository, true);
      tokens.delete(current);
      return { url, token: await tokenOf(current) };
    },
    originFor(workspace, kind, commit) {
      const repository = repositoryKey(workspace.repositoryUrl, options.gheHost);
      const installation = repository ? installations.find(repository) : undefined;
      if (!repository || !installation) return undefined;
      return originParams({
        installationId: installation.id,
        repository,
        ...(commit ? { headSha: commit } : {}),
        kind,
        checkName: checkNameOf(workspace.name, kind),
        environment: workspace.name,
      });
    },
    wake: () => sender.wake(),
    start: () => {
      sender.start();
      // Deliveries lost while Slipway was away are asked for once GitHub has taken the App,
      // and previews whose pull requests closed meanwhile are looked for.
      void checkCredentials().then((accepted) => {
        if (!accepted || stopped) return;
        failedDeliveries.start();
        closedPullRequests.start();
      });
    },
    stop: async () => {
      stopped = true;
      await Promise.all([sender.stop(), failedDeliveries.stop(), closedPullRequests.stop()]);
    },
  };

  /**
   * Asks GitHub who the App is (`GET /app`, with the App's JWT) once at start: an APP_ID that is
   * not the App's, or a PRIVATE_KEY that is not its key, is said then, naming both, rather than
   * at the first deploy as "A JSON web token could not be decoded". GitHub out of reach is only
   * a warning: the App goes on, and each deploy says what is wrong.
   */
  async function checkCredentials(): Promise<boolean> {
    try {
      const app = await probot.auth();
      const { data } = await app.request('GET /app');
      logger.info({ app: data?.slug ?? data?.name }, 'GitHub accepted the App');
      return true;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const reason = String((error as Error).message ?? error).slice(0, 300);
      if (status === 401 || status === 403 || status === 404) {
        logger.error(
          { appId: options.appId, status, reason },
          `GitHub refused the App's credentials: check that APP_ID (${options.appId}) is the App's id and PRIVATE_KEY (or PRIVATE_KEY_PATH) its private key; no deploy can fetch or report until they are`,
        );
      } else {
        logger.warn(
          { reason },
          `could not ask ${baseUrl} whether it accepts the App's credentials: ${reason}`,
        );
        // Out of reach for now: the scans for lost deliveries go on, and say when they fail.
        return true;
      }
      return false;
    }
  }
}

/**
 * What a handler's failure is to the webhook route: its own SlipwayError, with its status, when it
 * threw one; otherwise the failure without the event Probot attaches to it, which carries the
 * whole payload into any log line that records the error.
 */
export function handlerFailure(error: unknown): unknown {
  if (!(error instanceof AggregateError)) return error;
  const own = error.errors.find((inner) => isSlipwayError(inner));
  if (own) return own;
  delete (error as { event?: unknown }).event;
  return error;
}
