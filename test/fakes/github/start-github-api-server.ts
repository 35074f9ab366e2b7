import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createAppCredentials } from './app-credentials.js';
import type { RecordedCheckRun } from './check-run-json.js';
import { createGitHubApp, type RecordedRequest } from './create-github-app.js';
import type { RecordedDeployment } from './deployment-json.js';
import { FaultInjector, type GitHubFault } from './fault-injector.js';
import { pullRequestJson } from './github-objects.js';
import { type CollaboratorRole, GitHubState } from './github-state.js';
import { type HookDelivery, sendWebhook } from './hook-deliveries.js';

export interface GitHubApiServerOptions {
  /** Default 4242. */
  appId?: number;
  /** Default 'slipway-test'. */
  slug?: string;
}

export interface GitHubApiServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` (for GHE_HOST, with GHE_PROTOCOL=http). */
  host: string;
  /** `${url}/api/v3` (Octokit/Probot baseUrl). */
  baseUrl: string;
  appId: number;
  /** PEM of a fresh RSA 2048 key, PKCS#1 (`BEGIN RSA PRIVATE KEY`) as GitHub hands them out. */
  privateKey: string;
  webhookSecret: string;
  /** Registers an installation on an account with access to these repositories ('owner/name'). */
  addInstallation(account: string, repositories: string[]): { id: number };
  /** Uninstalls the App from an account: the installation and its tokens are gone. */
  removeInstallation(id: number): void;
  /** Suspends the App on an installation (403 for its tokens), or lifts the suspension. */
  suspendInstallation(id: number, suspended?: boolean): void;
  /**
   * Serves a git repository (a working repo with .git, or bare) as `${url}/<owner>/<name>.git`;
   * private by default (needs a token of an installation covering it).
   */
  addRepository(fullName: string, dir: string, options?: { private?: boolean }): void;
  /**
   * Renames a repository or moves it to another owner (`to` is `owner/name`): its records and
   * installations follow it, and requests naming its former name are redirected to it.
   */
  renameRepository(from: string, to: string): void;
  /** Gives `login` a role on the repository (what `.../collaborators/{login}/permission` says). */
  setCollaborator(fullName: string, login: string, role: CollaboratorRole): void;
  /**
   * Opens a pull request of branch `head` (at commit `sha`) into `base`, by `user` (default
   * Codertocat, the sender of GitHub's example events); returns it as the REST API answers it.
   */
  openPullRequest(
    fullName: string,
    pull: {
      head: string;
      sha: string;
      base: string;
      user?: string;
      title?: string;
      labels?: string[];
    },
  ): PullRequestJson;
  /** Closes a pull request (merged with `merged`) without delivering any event of it. */
  closePullRequest(
    fullName: string,
    number: number,
    options?: { merged?: boolean },
  ): PullRequestJson;
  /** Reopens a pull request closed unmerged, without delivering any event of it. */
  reopenPullRequest(fullName: string, number: number): PullRequestJson;
  /** Sets a pull request's labels (names), without delivering any event of it. */
  labelPullRequest(fullName: string, number: number, labels: string[]): PullRequestJson;
  /** Moves an open pull request to merge into `base`, without delivering any event of it. */
  retargetPullRequest(fullName: string, number: number, base: string): PullRequestJson;
  /** Sets the App's Webhook URL, where `sendWebhook` delivers (unset: every delivery fails). */
  setWebhookUrl(url: string | undefined): void;
  /**
   * Delivers an event to the App's Webhook URL as GitHub does (signed, a new delivery guid, 10 s
   * to answer) and records the delivery, as `GET /app/hook/deliveries` lists it.
   */
  sendWebhook(event: string, payload: Record<string, unknown>): Promise<HookDelivery>;
  /** The App's webhook deliveries so far, oldest first (redeliveries still under way not yet). */
  hookDeliveries(): HookDelivery[];
  /** Waits for the redeliveries asked for so far to be made. */
  redelivered(): Promise<HookDelivery[]>;
  /** Check runs as stored now, with every create/update request body in `history`. */
  checkRuns(fullName?: string): RecordedCheckRun[];
  /** Deployments as stored now, each with its statuses (oldest first). */
  deployments(fullName?: string): RecordedDeployment[];
  /** Every request: method, path (without /api/v3), status answered, auth kind, installation id. */
  requests: RecordedRequest[];
  /** Fault injection; see `GitHubFault`. */
  inject(fault: GitHubFault): void;
  /** Answers the requests held by `hold` faults (in order); returns how many were released. */
  releaseHeld(): number;
  close(): Promise<void>;
}

/** A pull request as `GET /repos/{owner}/{repo}/pulls/{pull_number}` answers it. */
export type PullRequestJson = ReturnType<typeof pullRequestJson>;

const copy = <T>(value: T): T => structuredClone(value);
const of = (fullName?: string) => (r: { repository: string }) =>
  fullName === undefined || r.repository.toLowerCase() === fullName.toLowerCase();

/**
 * Starts a fake GitHub (Enterprise-style REST API under `/api/v3`, plus git smart HTTP) on a
 * free 127.0.0.1 port, for one GitHub App.
 *
 * @example
 * const github = await startGitHubApiServer();
 * const { id } = github.addInstallation('acme', ['acme/shop']);
 * const probot = new Probot({ appId: github.appId, privateKey: github.privateKey,
 *   secret: github.webhookSecret, baseUrl: github.baseUrl, logLevel: 'fatal' });
 * const octokit = await probot.auth(id);
 */
export async function startGitHubApiServer(
  options: GitHubApiServerOptions = {},
): Promise<GitHubApiServer> {
  const appId = options.appId ?? 4242;
  const credentials = createAppCredentials();
  const state = new GitHubState({
    id: appId,
    slug: options.slug ?? 'slipway-test',
    publicKey: credentials.publicKey,
  });
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const app = createGitHubApp(state, faults, requests, credentials.webhookSecret);
  // Keep Node's own Request/Response: Octokit's fetch runs in the same process in tests.
  const server = createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.url = `http://${host}`;
  let closed: Promise<void> | undefined;
  return {
    url: state.url,
    host,
    baseUrl: state.apiUrl,
    appId,
    privateKey: credentials.privateKey,
    webhookSecret: credentials.webhookSecret,
    addInstallation: (account, repositories) => ({
      id: state.addInstallation(account, repositories).id,
    }),
    removeInstallation: (id) => state.removeInstallation(id),
    suspendInstallation: (id, suspended = true) => state.setSuspended(id, suspended),
    addRepository(fullName, dir, repositoryOptions = {}) {
      const repository = state.ensureRepository(fullName);
      repository.dir = dir;
      repository.private = repositoryOptions.private ?? true;
    },
    setWebhookUrl(url) {
      state.webhookUrl = url;
    },
    sendWebhook: (event, payload) => sendWebhook(state, credentials.webhookSecret, event, payload),
    hookDeliveries: () => copy(state.hookDeliveries),
    redelivered: () => Promise.all(state.redeliveries),
    setCollaborator(fullName, login, role) {
      const repository = state.ensureRepository(fullName);
      repository.collaborators ??= new Map();
      repository.collaborators.set(login.toLowerCase(), role);
    },
    openPullRequest(fullName, pull) {
      const record = state.openPullRequest(fullName, pull);
      return pullRequestJson(state, state.ensureRepository(fullName), record);
    },
    closePullRequest(fullName, number, { merged = false } = {}) {
      const record = state.setPullRequestState(fullName, number, 'closed', merged);
      return pullRequestJson(state, state.ensureRepository(fullName), record);
    },
    reopenPullRequest(fullName, number) {
      const record = state.setPullRequestState(fullName, number, 'open');
      return pullRequestJson(state, state.ensureRepository(fullName), record);
    },
    labelPullRequest(fullName, number, labels) {
      const record = state.labelPullRequest(fullName, number, labels);
      return pullRequestJson(state, state.ensureRepository(fullName), record);
    },
    retargetPullRequest(fullName, number, base) {
      const record = state.retargetPullRequest(fullName, number, base);
      return pullRequestJson(state, state.ensureRepository(fullName), record);
    },
    renameRepository(from, to) {
      state.renameRepository(from, to);
    },
    checkRuns: (fullName) => copy(state.checkRuns.filter(of(fullName))),
    deployments: (fullName) => copy(state.deployments.filter(of(fullName))),
    requests,
    inject: (fault) => faults.inject(fault),
    releaseHeld: () => faults.releaseHeld(),
    close() {
      closed ??= new Promise<void>((resolve) => {
        faults.releaseHeld();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
