import { createHash } from 'node:crypto';
import { existsSync, utimesSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, isSlipwayError, SlipwayError } from '../errors.js';
import { type Logger, silentLogger } from '../types.js';
import { CACHE_VARIABLE, cleanLeftovers, OWNER_VARIABLE } from './clean-leftovers.js';
import { DEFAULT_EVICTION, type EvictionPolicy, evictCheckouts } from './evict-checkouts.js';
import { fetchCommit, proveOnBranch } from './fetch-commit.js';
import { redact, requireLocalRepository, resolveRepository } from './repository.js';
import { type GitCommand, runGit } from './run-git.js';
import type { Checkout, FetchOptions, SourceFetcher } from './types.js';

/** An authenticated way to fetch a GitHub repository (the App's installation token). */
export interface GitHubAccess {
  /** Clone URL, e.g. `https://github.com/acme/api.git`. */
  url: string;
  /** Installation token; sent as an http header, never shown in logs or messages. */
  token: string;
}

export interface GitSourceOptions {
  /** Checkouts live here: `<cacheDir>/<sha256(url) first 16 hex>/<commit>`. */
  cacheDir: string;
  /** Where bare repository names resolve (SLIPWAY_REPOS_DIR). */
  reposDir: string;
  /** Environment for git (PATH, HOME, proxies...); the host picks it, `core/` reads none. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /**
   * No-progress limit: a git command that writes nothing (fetches run with `--progress`) for
   * this long is stopped, as a retryable failure; default 120000 (2 minutes).
   */
  stallMs?: number;
  /**
   * Overall cap on one git command however much it still talks, for a fetch that crawls;
   * default 3600000 (1 hour). A job's own timeout usually ends it first.
   */
  timeoutMs?: number;
  /** Which checkouts `evict` keeps; default three a repository and any used in the last day. */
  eviction?: EvictionPolicy;
  /** The git binary; default `git`. */
  git?: string;
  /**
   * Supplies access to `owner/name` repositories; without it they are refused. `refresh` asks
   * again for access whose token git was refused with (revoked, or of an old installation).
   */
  resolveGitHub?: (ownerName: string, options?: { refresh?: boolean }) => Promise<GitHubAccess>;
}

/** What git says when the server refused its credentials. */
const REFUSED =
  /could not read Username|Authentication failed|Invalid username or password|The requested URL returned error: 40[13]/i;

const COMMIT = /^[0-9a-f]{40}$/i;
const DEFAULT_STALL_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

/** Whether `text` is a full commit id: 40 hex characters, as `git rev-parse` prints it. */
export function isCommitId(text: string): boolean {
  return COMMIT.test(text);
}

/**
 * Fetches repositories with the git CLI into a cache keyed by commit (DESIGN.md section 6):
 * shallow, one checkout per commit, plain files (no `.git`), complete or absent. A commit that is
 * in the cache is served without touching the network. `ref` is a branch, then a tag, or a full
 * commit id; `options.commit` pins the exact commit (e.g. a push's `after`).
 *
 * @example
 * const source = createGitSource({ cacheDir, reposDir, env: { PATH, HOME } });
 * const checkout = await source.fetch('demo', 'main');
 * const pinned = await source.fetch('https://github.com/acme/api.git', 'main', { commit });
 */
export function createGitSource(options: GitSourceOptions): SourceFetcher {
  const logger = options.logger ?? silentLogger;
  const baseEnv: Record<string, string | undefined> = {
    ...options.env,
    GIT_TERMINAL_PROMPT: '0',
    // Only the transports DESIGN.md section 6 names; never `ext::` and friends.
    GIT_ALLOW_PROTOCOL: options.env?.GIT_ALLOW_PROTOCOL ?? 'file:git:http:https:ssh',
    // Git runs detached (its own process group) and outlives a Slipway killed mid-fetch; these
    // let the next start find and kill it (cleanLeftovers).
    [CACHE_VARIABLE]: path.resolve(options.cacheDir),
    [OWNER_VARIABLE]: String(process.pid),
  };
  // What a Slipway killed mid-fetch left behind goes before this one fetches anything.
  const leftovers = cleanLeftovers(options.cacheDir, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not clear what earlier fetches left in the checkout cache'),
  );
  const command = (display: string, access: Access, signal?: AbortSignal): GitCommand => ({
    git: options.git ?? 'git',
    env: access.env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    stallMs: options.stallMs ?? DEFAULT_STALL_MS,
    display,
    secrets: access.secrets,
    ...(signal ? { signal } : {}),
  });

  async function access(
    resolved: { url: string; github?: string },
    refresh = false,
  ): Promise<Access> {
    if (!resolved.github) return { url: resolved.url, env: baseEnv, secrets: [] };
    if (!options.resolveGitHub) {
      // Nothing upstream failed and no retry will help: this server is not set up for GitHub.
      throw new SlipwayError(
        'BAD_REQUEST',
        `repository '${resolved.github}' is on GitHub; GitHub repositories need the GitHub App (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)`,
      );
    }
    let github: GitHubAccess;
    try {
      github = await options.resolveGitHub(resolved.github, refresh ? { refresh } : undefined);
    } catch (error) {
      if (isSlipwayError(error)) throw error;
      // GitHub down a moment (5xx, 429) or out of reach: the deploy is tried again after a
      // backoff, as a git fetch that failed so would be, rather than failing the commit.
      const status = (error as { status?: unknown })?.status;
      const transient = typeof status !== 'number' || status >= 500 || status === 429;
      const said = errorMessage(error);
      // An error page (GitHub's "Unicorn!" HTML) says nothing a person wants in a log.
      const why = /^\s*</.test(said) ? `GitHub answered ${status}` : redact(said);
      throw new SlipwayError(
        'SOURCE_UNAVAILABLE',
        `could not get access to GitHub repository '${resolved.github}': ${why}`,
        { cause: error, retryable: transient },
      );
    }
    return withToken(baseEnv, github.url, github.token);
  }

  /** Runs `attempt` with access to the repository; once more with fresh access when refused. */
  async function withAccess<T>(
    resolved: ReturnType<typeof resolveRepository>,
    attempt: (how: Access) => Promise<T>,
  ): Promise<T> {
    try {
      return await attempt(await access(resolved));
    } catch (error) {
      const stderr = isSlipwayError(error) ? String(error.details?.stderr ?? '') : '';
      if (!resolved.github || !REFUSED.test(stderr)) throw error;
      // An installation token GitHub no longer takes: once more with fresh access.
      logger.info(
        { repository: resolved.display },
        'GitHub refused the token; asking for a new one',
      );
      return attempt(await access(resolved, true));
    }
  }

  return {
    async fetch(
      repository: string,
      ref: string,
      fetchOptions: FetchOptions = {},
    ): Promise<Checkout> {
      const { signal } = fetchOptions;
      const resolved = resolveRepository(repository, options.reposDir);
      const { display } = resolved;
      checkRef(ref);
      if (fetchOptions.commit !== undefined && !COMMIT.test(fetchOptions.commit)) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `commit "${fetchOptions.commit}" is not valid; expected a full 40-hex commit id`,
        );
      }
      // Keyed by the credential-free URL (for GitHub the canonical one), so a new token or a
      // cache hit never needs GitHub's API.
      const key = createHash('sha256').update(redact(resolved.url)).digest('hex').slice(0, 16);
      const base = path.join(options.cacheDir, key);
      const pinned = (fetchOptions.commit ?? (COMMIT.test(ref) ? ref : undefined))?.toLowerCase();
      const onBranch = fetchOptions.onBranch === true && fetchOptions.commit !== undefined;
      const done = (commit: string): Checkout => {
        const dir = path.join(base, commit);
        // Marks it used (see evict); in the turn that found it, so eviction cannot come between.
        const now = new Date();
        utimesSync(dir, now, now);
        return { repository, url: redact(resolved.url), ref, commit, dir };
      };
      if (pinned && !onBranch && existsSync(path.join(base, pinned))) return done(pinned);

      requireLocalRepository(resolved);
      await leftovers;
      const attempt = async (how: Access): Promise<Checkout> => {
        const git = command(display, how, signal);
        if (onBranch && pinned) {
          await proveOnBranch({
            url: how.url,
            display,
            // The branch itself: a tag of the same name is not the branch's history.
            ref: COMMIT.test(ref) ? ref : `refs/heads/${ref}`,
            commit: pinned,
            parent: base,
            run: (args, cwd) => runGit(args, cwd ? { ...git, cwd } : git),
          });
        }
        const commit = pinned ?? (await resolveRef(how.url, ref, git));
        const target = path.join(base, commit);
        if (existsSync(target)) return done(commit);

        const started = Date.now();
        logger.debug({ repository: display, ref, commit }, 'fetching');
        await fenceOffPackageScope(options.cacheDir);
        await fetchCommit({
          url: how.url,
          display,
          ref: COMMIT.test(ref) ? null : ref,
          commit,
          target,
          run: (args, cwd) => runGit(args, cwd ? { ...git, cwd } : git),
        });
        logger.info({ repository: display, ref, commit, ms: Date.now() - started }, 'fetched');
        return done(commit);
      };
      return withAccess(resolved, attempt);
    },

    async head(repository, ref, signal) {
      const resolved = resolveRepository(repository, options.reposDir);
      checkRef(ref);
      requireLocalRepository(resolved);
      return withAccess(resolved, async (how) =>
        resolveRef(how.url, ref, command(resolved.display, how, signal)),
      );
    },

    async evict(inUse) {
      await leftovers;
      await evictCheckouts(
        options.cacheDir,
        inUse,
        options.eviction ?? DEFAULT_EVICTION,
        Date.now(),
        logger,
      );
    },
  };
}

interface Access {
  url: string;
  env: Record<string, string | undefined>;
  secrets: string[];
}

/** The commit `ref` names on the remote: a branch first, then a tag (peeled when annotated). */
async function resolveRef(url: string, ref: string, git: GitCommand): Promise<string> {
  const names = [
    `refs/heads/${ref}`,
    `refs/tags/${ref}`,
    ...(ref.startsWith('refs/') ? [ref] : []),
  ];
  // An annotated tag points at a tag object; only a `^{}` pattern makes ls-remote show the
  // commit it peels to.
  const patterns = names.flatMap((name) => [name, `${name}^{}`]);
  const out = await runGit(['ls-remote', '--', url, ...patterns], git);
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.trim().split('\t');
    if (sha && name) refs.set(name, sha);
  }
  for (const name of names) {
    const commit = refs.get(`${name}^{}`) ?? refs.get(name);
    if (commit) return commit;
  }
  throw new SlipwayError('NOT_FOUND', `branch '${ref}' not found in ${git.display}`);
}

/** Refuses what git would not take as a ref, or would take as an option. */
function checkRef(ref: string): void {
  if (
    !ref ||
    ref.startsWith('-') ||
    ref.startsWith('/') ||
    ref.endsWith('/') ||
    ref.endsWith('.') ||
    ref.endsWith('.lock') ||
    ref.includes('..') ||
    ref.includes('@{') ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: git refuses control characters in refs
    /[\s~^:?*[\\\u0000-\u001f\u007f]/.test(ref)
  ) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `ref "${ref}" is not valid; expected a branch, a tag or a full 40-hex commit id`,
    );
  }
}

/**
 * The token travels as an http header set through GIT_CONFIG_* variables: never in the
 * command line (visible to `ps`), never in a URL that git could echo back.
 */
function withToken(env: Record<string, string | undefined>, url: string, token: string): Access {
  if (!/^https?:\/\//i.test(url)) return { url, env, secrets: [token] };
  const index = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    url,
    secrets: [token, basic],
    env: {
      ...env,
      GIT_CONFIG_COUNT: String(index + 1),
      [`GIT_CONFIG_KEY_${index}`]: `http.${new URL(url).origin}/.extraHeader`,
      [`GIT_CONFIG_VALUE_${index}`]: `Authorization: Basic ${basic}`,
    },
  };
}

/**
 * Node decides how a `.js` file loads from the nearest package.json above it. The default data
 * directory lives inside Slipway's own checkout (`./.slipway`), whose package.json says
 * `"type": "module"`, so a repository without a package.json would have its scripts loaded as
 * ES modules. A neutral package.json at the cache root stops that lookup.
 */
async function fenceOffPackageScope(cacheDir: string): Promise<void> {
  const file = path.join(cacheDir, 'package.json');
  if (existsSync(file)) return;
  await mkdir(cacheDir, { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ description: 'Slipway checkout cache: keeps checkouts out of any enclosing package scope', type: 'commonjs' }, null, 2)}\n`,
  );
}
