import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RecordedCheckRun } from './check-run-json.js';
import type { RecordedDeployment } from './deployment-json.js';
import type { HookDelivery } from './hook-deliveries.js';

export interface AccountRecord {
  login: string;
  id: number;
}

export interface InstallationRecord {
  id: number;
  account: AccountRecord;
  /** Lower-cased 'owner/name' of the repositories it covers. */
  repositories: string[];
  createdAt: number;
  /** When the account suspended the App here: its tokens stop working, none are issued. */
  suspendedAt?: number;
}

export interface RepositoryRecord {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  /** The git directory served for it (working tree with .git, or bare), if registered. */
  dir?: string;
  private: boolean;
  /** Role of each collaborator by lower-cased login: admin, maintain, write, triage or read. */
  collaborators?: Map<string, CollaboratorRole>;
}

export type CollaboratorRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

/** A pull request, between branches of one repository (forks are not modelled). */
export interface PullRequestRecord {
  id: number;
  /** The repository's full name, as it is now. */
  repository: string;
  number: number;
  title: string;
  user: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: string[];
  state: 'open' | 'closed';
  merged: boolean;
  createdAt: number;
  /** Every change moves it, as GitHub's `updated_at`. */
  updatedAt: number;
  closedAt: number | null;
  mergedAt: number | null;
}

/** An installation access token and what it may reach. */
export interface TokenGrant {
  token: string;
  installationId: number;
  expiresAt: number;
  /** Lower-cased full names the token covers (all of the installation's unless narrowed). */
  repositories: string[];
  permissions: Record<string, string>;
}

/**
 * The App as registered on GitHub: its manifest, `app.yml`, which a user copies into GitHub's
 * form. Read from the file, so a permission taken out of it fails every call that needs it.
 */
const REGISTRATION = parse(readFileSync(new URL('../../../app.yml', import.meta.url), 'utf8')) as {
  default_permissions: Record<string, string>;
  default_events: string[];
};

/** What every installation is granted (the app's permissions). */
export const APP_PERMISSIONS: Record<string, string> = { ...REGISTRATION.default_permissions };

/** The events the App is subscribed to. */
export const APP_EVENTS = [...REGISTRATION.default_events].sort();

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** Everything the fake GitHub knows: the app, its installations, repositories, tokens, records. */
export class GitHubState {
  readonly installations = new Map<number, InstallationRecord>();
  readonly repositories = new Map<string, RepositoryRecord>();
  readonly tokens = new Map<string, TokenGrant>();
  readonly checkRuns: RecordedCheckRun[] = [];
  readonly deployments: RecordedDeployment[] = [];
  readonly checkSuites = new Map<string, number>();
  readonly pullRequests: PullRequestRecord[] = [];
  /** Where the App's webhook deliveries go (its settings' Webhook URL); none: nowhere. */
  webhookUrl: string | undefined = undefined;
  /** Every delivery of the App's webhook, oldest first. */
  readonly hookDeliveries: HookDelivery[] = [];
  /** Redeliveries asked for, as they go. */
  readonly redeliveries: Promise<HookDelivery>[] = [];
  /** The records of renamed or transferred repositories, by their former lower-cased names. */
  readonly moved = new Map<string, RepositoryRecord>();
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  url = '';
  private readonly accounts = new Map<string, AccountRecord>();
  private lastId = 1000;

  constructor(readonly app: { id: number; slug: string; publicKey: KeyObject }) {}

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  account(login: string): AccountRecord {
    const key = login.toLowerCase();
    let account = this.accounts.get(key);
    if (!account) {
      account = { login, id: this.nextId() };
      this.accounts.set(key, account);
    }
    return account;
  }

  repository(fullName: string): RepositoryRecord | undefined {
    return this.repositories.get(fullName.toLowerCase());
  }

  /** The repository record, created (private, no git dir) when first named. */
  ensureRepository(fullName: string): RepositoryRecord {
    const existing = this.repository(fullName);
    if (existing) return existing;
    const [owner = '', name = ''] = fullName.split('/');
    if (!owner || !name || fullName.split('/').length !== 2)
      throw new Error(`repository "${fullName}"; expected "owner/name"`);
    this.account(owner);
    const record: RepositoryRecord = { id: this.nextId(), owner, name, fullName, private: true };
    this.repositories.set(fullName.toLowerCase(), record);
    return record;
  }

  addInstallation(login: string, repositories: string[]): InstallationRecord {
    const installation: InstallationRecord = {
      id: this.nextId(),
      account: this.account(login),
      repositories: repositories.map((r) => this.ensureRepository(r).fullName.toLowerCase()),
      createdAt: Date.now(),
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  /**
   * Renames `from` (or moves it to another owner) as GitHub does: the repository keeps its id,
   * its check runs, deployments and suites, and its place in installations; tokens that covered
   * it still do (GitHub scopes them by id); the former name redirects to it (see `moved`).
   */
  renameRepository(from: string, to: string): RepositoryRecord {
    const record = this.repository(from);
    if (!record) throw new Error(`no repository ${from}`);
    if (this.repository(to)) throw new Error(`repository ${to} exists already`);
    const [owner = '', name = ''] = to.split('/');
    if (!owner || !name || to.split('/').length !== 2)
      throw new Error(`repository "${to}"; expected "owner/name"`);
    const before = record.fullName;
    const [oldKey, newKey] = [before.toLowerCase(), to.toLowerCase()];
    this.account(owner);
    this.repositories.delete(oldKey);
    Object.assign(record, { owner, name, fullName: to });
    this.repositories.set(newKey, record);
    this.moved.set(oldKey, record);
    const rename = (names: string[]) => names.map((n) => (n === oldKey ? newKey : n));
    for (const installation of this.installations.values())
      installation.repositories = rename(installation.repositories);
    for (const grant of this.tokens.values()) grant.repositories = rename(grant.repositories);
    for (const run of this.checkRuns) if (run.repository === before) run.repository = to;
    for (const deployment of this.deployments)
      if (deployment.repository === before) deployment.repository = to;
    for (const pull of this.pullRequests) if (pull.repository === before) pull.repository = to;
    for (const [key, id] of [...this.checkSuites]) {
      if (!key.startsWith(`${before}@`)) continue;
      this.checkSuites.delete(key);
      this.checkSuites.set(`${to}${key.slice(before.length)}`, id);
    }
    return record;
  }

  /** The pull request `number` of `fullName`, if there is one. */
  pullRequest(fullName: string, number: number): PullRequestRecord | undefined {
    const key = fullName.toLowerCase();
    return this.pullRequests.find((p) => p.repository.toLowerCase() === key && p.number === number);
  }

  /**
   * Opens a pull request of `head` (a branch at `sha`) into `base`, numbered after the
   * repository's last one as GitHub numbers them (issues and pull requests share the numbers).
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
  ): PullRequestRecord {
    const repository = this.ensureRepository(fullName);
    const mine = this.pullRequests.filter((p) => p.repository === repository.fullName);
    const now = Date.now();
    const record: PullRequestRecord = {
      id: this.nextId(),
      repository: repository.fullName,
      number: Math.max(0, ...mine.map((p) => p.number)) + 1,
      title: pull.title ?? `Merge ${pull.head} into ${pull.base}`,
      user: this.account(pull.user ?? 'Codertocat').login,
      head: { ref: pull.head, sha: pull.sha },
      base: { ref: pull.base },
      labels: [...(pull.labels ?? [])],
      state: 'open',
      merged: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
    };
    this.pullRequests.push(record);
    return record;
  }

  /** Closes a pull request (merging it with `merged`), or reopens one that closed unmerged. */
  setPullRequestState(
    fullName: string,
    number: number,
    state: 'open' | 'closed',
    merged = false,
  ): PullRequestRecord {
    const pull = this.pullRequest(fullName, number);
    if (!pull) throw new Error(`no pull request #${number} in ${fullName}`);
    if (pull.merged) throw new Error(`pull request #${number} of ${fullName} is merged`);
    const now = Date.now();
    Object.assign(pull, {
      state,
      merged: state === 'closed' && merged,
      updatedAt: now,
      closedAt: state === 'closed' ? now : null,
      mergedAt: state === 'closed' && merged ? now : null,
    });
    return pull;
  }

  /** Moves an open pull request to merge into branch `base`, as its Edit button does. */
  retargetPullRequest(fullName: string, number: number, base: string): PullRequestRecord {
    const pull = this.pullRequest(fullName, number);
    if (!pull) throw new Error(`no pull request #${number} in ${fullName}`);
    if (pull.state !== 'open') throw new Error(`pull request #${number} of ${fullName} is closed`);
    Object.assign(pull, { base: { ref: base }, updatedAt: Date.now() });
    return pull;
  }

  /** Sets a pull request's labels (their names), as adding and removing them does. */
  labelPullRequest(fullName: string, number: number, labels: string[]): PullRequestRecord {
    const pull = this.pullRequest(fullName, number);
    if (!pull) throw new Error(`no pull request #${number} in ${fullName}`);
    Object.assign(pull, { labels: [...labels], updatedAt: Date.now() });
    return pull;
  }

  /** Suspends the App on the installation (or lifts it): tokens issued before stop working. */
  setSuspended(id: number, suspended: boolean): void {
    const installation = this.installations.get(id);
    if (!installation) throw new Error(`no installation ${id}`);
    installation.suspendedAt = suspended ? Date.now() : undefined;
    if (suspended) this.revokeTokens(id);
  }

  /** Uninstalls: the installation is gone, and so are its tokens (GitHub revokes them). */
  removeInstallation(id: number): void {
    this.installations.delete(id);
    this.revokeTokens(id);
  }

  private revokeTokens(installationId: number): void {
    for (const [token, grant] of this.tokens) {
      if (grant.installationId === installationId) this.tokens.delete(token);
    }
  }

  installationOn(fullName: string): InstallationRecord | undefined {
    const key = fullName.toLowerCase();
    return [...this.installations.values()].find((i) => i.repositories.includes(key));
  }

  issueToken(
    installation: InstallationRecord,
    repositories: string[],
    permissions: Record<string, string>,
  ): TokenGrant {
    const random = randomBytes(36);
    const suffix = [...random].map((b) => TOKEN_CHARS[b % TOKEN_CHARS.length]).join('');
    const grant: TokenGrant = {
      token: `ghs_${suffix}`,
      installationId: installation.id,
      expiresAt: Date.now() + TOKEN_LIFETIME_MS,
      repositories,
      permissions,
    };
    this.tokens.set(grant.token, grant);
    return grant;
  }

  /** The live grant of a token, or undefined when unknown or expired. */
  grant(token: string): TokenGrant | undefined {
    const grant = this.tokens.get(token);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }
}
