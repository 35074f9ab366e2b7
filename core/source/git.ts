import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { type Logger, silentLogger } from '../types.js';
import { redact, resolveRepository } from './repository.js';
import type { Checkout, FetchOptions, SourceFetcher } from './types.js';

export interface GitSourceOptions {
  /** Checkouts live here, one directory per repository and commit. */
  cacheDir: string;
  /** Where bare repository names resolve (SLIPWAY_REPOS_DIR). */
  reposDir: string;
  /** Environment for git (PATH, HOME...); the host picks it, the engine reads no environment. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Per git command; default 2 minutes. */
  timeoutMs?: number;
  /** Supplies an authenticated URL for `owner/name` (the GitHub App's installation token). */
  resolveGitHub?: (ownerName: string) => Promise<{ url: string }>;
}

const COMMIT = /^[0-9a-f]{40}$/;
const TRANSIENT =
  /could not resolve host|connection (reset|refused|timed out)|timed out|early eof|returned error: 5\d\d|rpc failed|remote end hung up|temporary failure|network is unreachable/i;

/**
 * Fetches repositories with the git CLI into a cache keyed by commit (DESIGN.md section 6):
 * shallow, one checkout per commit, plain files (no `.git`), complete or absent (a checkout is
 * renamed into place only once it is whole). A cached commit is never fetched again.
 *
 * @example
 * const source = createGitSource({ cacheDir, reposDir, env: { PATH } });
 * const checkout = await source.fetch('demo', 'main');
 */
export function createGitSource(options: GitSourceOptions): SourceFetcher {
  const logger = options.logger ?? silentLogger;
  const timeout = options.timeoutMs ?? 120_000;
  const env = { ...options.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };

  const git = (args: string[], display: string, signal?: AbortSignal, cwd?: string) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'git',
        args,
        {
          cwd,
          env,
          timeout,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
          ...(signal ? { signal } : {}),
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const detail = redact(String(stderr || error.message).trim())
            .split('\n')
            .slice(-3)
            .join(' ');
          const timedOut = (error as { killed?: boolean }).killed === true && !signal?.aborted;
          reject(
            new SlipwayError(
              'SOURCE_UNAVAILABLE',
              `git ${args[0]} of ${display} failed${timedOut ? ` after ${timeout / 1000} s` : ''}: ${detail}`,
              { retryable: timedOut || TRANSIENT.test(detail), cause: error },
            ),
          );
        },
      );
    });

  async function resolveCommit(
    url: string,
    display: string,
    ref: string,
    signal?: AbortSignal,
  ): Promise<string> {
    if (COMMIT.test(ref)) return ref;
    const out = await git(
      ['ls-remote', '--', url, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`],
      display,
      signal,
    );
    const refs = new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [sha = '', name = ''] = line.split('\t');
          return [name, sha] as const;
        }),
    );
    const commit =
      refs.get(`refs/heads/${ref}`) ??
      refs.get(`refs/tags/${ref}^{}`) ??
      refs.get(`refs/tags/${ref}`);
    if (!commit) throw new SlipwayError('NOT_FOUND', `branch '${ref}' not found in ${display}`);
    return commit;
  }

  async function checkout(
    url: string,
    display: string,
    ref: string,
    commit: string,
    target: string,
    signal?: AbortSignal,
  ) {
    await mkdir(path.dirname(target), { recursive: true });
    await fenceOffPackageScope(options.cacheDir);
    const temp = await mkdtemp(path.join(path.dirname(target), '.fetch-'));
    try {
      await git(['init', '--quiet', temp], display, signal);
      try {
        await git(
          ['fetch', '--quiet', '--depth', '1', '--no-tags', '--', url, commit],
          display,
          signal,
          temp,
        );
      } catch (error) {
        // Some servers refuse a bare commit id; fetch the branch deeper until it is there.
        if (!(await fetchByRef(url, display, ref, commit, temp, signal))) throw error;
      }
      await git(
        ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit],
        display,
        signal,
        temp,
      );
      const head = (await git(['rev-parse', 'HEAD'], display, signal, temp)).trim();
      if (head !== commit) {
        throw new SlipwayError(
          'SOURCE_UNAVAILABLE',
          `checked out ${head} from ${display}, expected ${commit}`,
        );
      }
      await rm(path.join(temp, '.git'), { recursive: true, force: true });
      try {
        await rename(temp, target);
      } catch (error) {
        // Another fetch of the same commit won the race; its checkout is as good as ours.
        if (!existsSync(target)) throw error;
      }
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  async function fetchByRef(
    url: string,
    display: string,
    ref: string,
    commit: string,
    dir: string,
    signal?: AbortSignal,
  ) {
    if (COMMIT.test(ref)) return false;
    for (const depth of ['50', '500', '0']) {
      const args = ['fetch', '--quiet', '--no-tags', ...(depth === '0' ? [] : ['--depth', depth])];
      await git([...args, '--', url, `refs/heads/${ref}`], display, signal, dir);
      try {
        await git(['cat-file', '-e', `${commit}^{commit}`], display, signal, dir);
        return true;
      } catch {
        // Not deep enough yet.
      }
    }
    throw new SlipwayError(
      'NOT_FOUND',
      `commit ${commit} not found on branch '${ref}' of ${display}`,
    );
  }

  return {
    async fetch(
      repository: string,
      ref: string,
      fetchOptions: FetchOptions = {},
    ): Promise<Checkout> {
      const { signal } = fetchOptions;
      const resolved = resolveRepository(repository, options.reposDir);
      let url = resolved.url;
      if (resolved.github) {
        if (!options.resolveGitHub) {
          throw new SlipwayError(
            'SOURCE_UNAVAILABLE',
            `repository '${resolved.github}' is on GitHub, which needs the GitHub App (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)`,
          );
        }
        url = (await options.resolveGitHub(resolved.github)).url;
      }
      if (fetchOptions.commit !== undefined && !COMMIT.test(fetchOptions.commit)) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `commit "${fetchOptions.commit}" is not a full 40-hex commit id`,
        );
      }
      const commit =
        fetchOptions.commit ?? (await resolveCommit(url, resolved.display, ref, signal));
      const key = createHash('sha256').update(resolved.display).digest('hex').slice(0, 16);
      const dir = path.join(options.cacheDir, key, commit);
      if (!existsSync(dir)) {
        logger.debug({ repository: resolved.display, commit }, 'fetching');
        await checkout(url, resolved.display, ref, commit, dir, signal);
      }
      return { repository, url: resolved.display, ref, commit, dir };
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
  await writeFile(
    file,
    `${JSON.stringify({ description: 'Slipway checkout cache: keeps checkouts out of any enclosing package scope', type: 'commonjs' }, null, 2)}\n`,
  );
}
