import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitSource, type GitSourceOptions } from '../core/source/index.js';
import type { SourceFetcher } from '../core/source/types.js';
import { createRepo, git } from './helpers/git.js';

const GIT_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1' };

function temp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A git "binary": a shell script that runs `body` with the real git's arguments in "$@". */
function gitWrapper(body: string): string {
  const file = path.join(temp('slipway-git-'), 'git');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

describe('fetching a repository at a ref', () => {
  let cacheDir: string;
  let reposDir: string;
  let source: SourceFetcher;
  const make = (extra: Partial<GitSourceOptions> = {}) =>
    createGitSource({ cacheDir, reposDir, env: GIT_ENV, ...extra });

  beforeEach(() => {
    cacheDir = temp('slipway-cache-');
    reposDir = temp('slipway-repos-');
    source = make();
  });

  it('checks out the head of a branch from a path, as plain files without .git', async () => {
    const repo = createRepo({ 'a.txt': 'one', 'tasks/x/manifest.json': '{}' });
    const checkout = await source.fetch(repo.dir, 'main');
    expect(checkout).toMatchObject({ repository: repo.dir, ref: 'main', commit: repo.head() });
    expect(checkout.url).toBe(pathToFileURL(repo.dir).href);
    expect(checkout.dir.startsWith(cacheDir)).toBe(true);
    expect(path.basename(checkout.dir)).toBe(repo.head());
    expect(read(checkout.dir, 'a.txt')).toBe('one');
    expect(read(checkout.dir, 'tasks/x/manifest.json')).toBe('{}');
    expect(existsSync(path.join(checkout.dir, '.git'))).toBe(false);
  });

  it('takes a file:// URL and a bare name in the repositories directory', async () => {
    const byUrl = createRepo({ 'u.txt': 'url' });
    const fromUrl = await source.fetch(pathToFileURL(byUrl.dir).href, 'main');
    expect(fromUrl.commit).toBe(byUrl.head());
    expect(read(fromUrl.dir, 'u.txt')).toBe('url');
    const named = createRepo({ 'n.txt': 'named' }, { dir: path.join(reposDir, 'named') });
    const fromName = await source.fetch('named', 'main');
    expect(fromName.commit).toBe(named.head());
    expect(read(fromName.dir, 'n.txt')).toBe('named');
  });

  it('fetches a lightweight tag, an annotated tag, and an exact older commit', async () => {
    const repo = createRepo({ 'v.txt': '1' });
    const first = repo.head();
    git(repo.dir, 'tag', 'light');
    git(repo.dir, 'tag', '-a', 'annotated', '-m', 'release');
    const second = repo.commit({ 'v.txt': '2' });

    const light = await source.fetch(repo.dir, 'light');
    expect(light.commit).toBe(first);
    expect(read(light.dir, 'v.txt')).toBe('1');
    expect((await source.fetch(repo.dir, 'annotated')).commit).toBe(first);

    const pinned = await source.fetch(repo.dir, 'main', { commit: first });
    expect(pinned.commit).toBe(first);
    expect(read(pinned.dir, 'v.txt')).toBe('1');
    const byId = await source.fetch(repo.dir, first);
    expect(byId.dir).toBe(pinned.dir);

    const head = await source.fetch(repo.dir, 'main');
    expect(head.commit).toBe(second);
    expect(read(head.dir, 'v.txt')).toBe('2');
  });

  it('serves a cached commit without running git, and a new commit as a new checkout', async () => {
    const repo = createRepo({ 'c.txt': 'cached' });
    const first = await source.fetch(repo.dir, 'main');

    // No git at all: only the cache can answer.
    const offline = make({ git: '/nonexistent/git' });
    const again = await offline.fetch(repo.dir, 'main', { commit: first.commit });
    expect(again.dir).toBe(first.dir);
    expect(read(again.dir, 'c.txt')).toBe('cached');

    const next = repo.commit({ 'c.txt': 'changed' });
    const moved = await source.fetch(repo.dir, 'main');
    expect(moved.commit).toBe(next);
    expect(moved.dir).not.toBe(first.dir);
    expect(read(moved.dir, 'c.txt')).toBe('changed');
    expect(read(first.dir, 'c.txt')).toBe('cached');

    // The origin is gone: a pinned commit still comes from the cache, a branch head cannot.
    renameSync(repo.dir, `${repo.dir}-gone`);
    const pinned = await source.fetch(repo.dir, 'main', { commit: next });
    expect(pinned.dir).toBe(moved.dir);
    await expect(source.fetch(repo.dir, 'main')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `repository '${repo.dir}' not found: no such directory`,
    });
  });

  it('gives concurrent fetches of one commit the same complete checkout', async () => {
    const repo = createRepo({ 'x.txt': 'x' });
    const other = make();
    const results = await Promise.all([
      source.fetch(repo.dir, 'main'),
      source.fetch(repo.dir, 'main'),
      other.fetch(repo.dir, 'main'),
    ]);
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(read(results[0]?.dir ?? '', 'x.txt')).toBe('x');
  });

  it('deepens the branch when the server refuses a commit it did not advertise', async () => {
    const repo = createRepo({ 'v.txt': '1' });
    const old = repo.head();
    repo.commit({ 'v.txt': '2' });
    repo.commit({ 'v.txt': '3' });
    // Protocol v0 without allowReachableSHA1InWant: a bare commit id is refused.
    const v0 = make({ git: gitWrapper('exec git -c protocol.version=0 "$@"') });
    const checkout = await v0.fetch(repo.dir, 'main', { commit: old });
    expect(read(checkout.dir, 'v.txt')).toBe('1');
    const unknown = 'f'.repeat(40);
    await expect(v0.fetch(repo.dir, 'main', { commit: unknown })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `commit ${unknown} not found on 'main' of ${repo.dir}`,
    });
    await expect(v0.fetch(repo.dir, unknown)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `commit ${unknown} not found in ${repo.dir}`,
    });
  });

  it('proves a commit is on the branch from its history, never by fetching the commit alone', async () => {
    const repo = createRepo({ 'v.txt': '0' });
    const old = repo.head();
    // Deeper than the first look back (50 commits).
    for (let i = 1; i <= 60; i++) repo.commit({ 'v.txt': String(i) });
    // A commit the server hands out by its id though no branch holds it, as GitHub does with a
    // fork's commits.
    git(repo.dir, 'checkout', '--quiet', '-b', 'fork');
    const forked = repo.commit({ 'v.txt': 'fork' });
    git(repo.dir, 'checkout', '--quiet', 'main');
    git(repo.dir, 'branch', '--quiet', '-D', 'fork');
    const unproven = await source.fetch(repo.dir, 'main', { commit: forked });
    expect(read(unproven.dir, 'v.txt')).toBe('fork');

    // In the cache already, and refused all the same.
    await expect(
      source.fetch(repo.dir, 'main', { commit: forked, onBranch: true }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
      message: `commit ${forked} is not one of the commits of 'main' of ${repo.dir}`,
    });
    const proven = await source.fetch(repo.dir, 'main', { commit: old, onBranch: true });
    expect(proven.commit).toBe(old);
    expect(read(proven.dir, 'v.txt')).toBe('0');
    expect(
      (await source.fetch(repo.dir, 'main', { commit: repo.head(), onBranch: true })).commit,
    ).toBe(repo.head());
    // Nothing but the checkouts (and their lists of trees) is left in the cache.
    const left = readdirSync(path.dirname(proven.dir)).filter((name) => !name.endsWith('.trees'));
    expect(left.sort()).toEqual([forked, old, repo.head()].sort());
  });

  it('says which branch or repository is not there', async () => {
    const repo = createRepo({ 'x.txt': 'x' });
    await expect(source.fetch(repo.dir, 'nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `branch 'nope' not found in ${repo.dir}`,
    });
    await expect(source.fetch('missing-repo', 'main')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `repository 'missing-repo' not found in ${reposDir}`,
    });
    const nowhere = path.join(os.tmpdir(), 'slipway-no-such-repo');
    await expect(source.fetch(nowhere, 'main')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(source.fetch(pathToFileURL(nowhere).href, 'main')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
      message: expect.stringContaining('does not appear to be a git repository'),
    });
  });

  it('refuses repository strings and refs that are not in an accepted form', async () => {
    const marker = path.join(temp('slipway-pwn-'), 'pwned');
    for (const bad of [
      '',
      '   ',
      `--upload-pack=touch ${marker}`,
      '-oProxyCommand=x',
      'a b',
      'x/y/z',
      'ext::sh -c touch% /tmp/x',
      'ssh://-oProxyCommand=x/repo',
      '..',
    ]) {
      await expect(source.fetch(bad, 'main'), bad).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('expected a git URL'),
      });
    }
    expect(existsSync(marker)).toBe(false);
    const repo = createRepo({ 'x.txt': 'x' });
    for (const ref of ['', '--upload-pack=x', 'a b', 'a..b', 'x:y']) {
      await expect(source.fetch(repo.dir, ref), ref).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    }
    await expect(source.fetch(repo.dir, 'main', { commit: 'abc' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'commit "abc" is not valid; expected a full 40-hex commit id',
    });
  });

  it('quotes only the end of megabytes of git errors, credentials masked, without stalling', async () => {
    // A server's error body reaches git's stderr as it is: two megabytes of letters, here. The
    // scan for credentials once took time that grew with the square of such a run (minutes).
    const noisy = make({
      git: gitWrapper(
        `head -c 2000000 /dev/zero | tr '\\0' a >&2; echo >&2; echo "fatal: unable to access 'https://bot:s3cret@git.example.com/x.git/': 1https://tok3n@h" >&2; exit 128`,
      ),
    });
    const failed = (await noisy
      .fetch('https://git.example.com/x.git', 'main')
      .catch((error: unknown) => error)) as { message: string; details: { stderr?: string } };
    expect(failed.message).toContain("unable to access 'https://***@git.example.com/x.git/'");
    expect(failed.message).toContain('1https://***@h');
    expect(JSON.stringify(failed)).not.toMatch(/s3cret|tok3n/);
    const stderr = failed.details.stderr ?? failed.message;
    expect(stderr.length).toBeLessThanOrEqual(64 * 1024 + 100);
  }, 20_000);

  it('stops a fetch when its signal aborts, and a slow git at the timeout (retryable)', async () => {
    const repo = createRepo({ 'x.txt': 'x' });
    const slow = make({ git: gitWrapper('sleep 31.7'), timeoutMs: 300 });
    const started = Date.now();
    await expect(slow.fetch(repo.dir, 'main')).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      retryable: true,
      message: `git ls-remote of ${repo.dir} timed out after 0.3 s`,
    });
    const controller = new AbortController();
    const stopped = make({ git: gitWrapper('sleep 10') }).fetch(repo.dir, 'main', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(stopped).rejects.toMatchObject({ code: 'STOPPED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // git is killed with its whole process group: nothing it started lives on.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain('sleep 31.7');
  });
});

describe('GitHub repositories (owner/name)', () => {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(503).end('busy');
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('needs the GitHub App when no resolver is configured', async () => {
    const source = createGitSource({ cacheDir: temp('c-'), reposDir: temp('r-'), env: GIT_ENV });
    await expect(source.fetch('acme/api', 'main')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      retryable: false,
      message:
        "repository 'acme/api' is on GitHub; GitHub repositories need the GitHub App (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)",
    });
  });

  it('sends the installation token as a header, never shows it, and retries a 5xx', async () => {
    const base = await listening;
    const token = 'ghs_s3cr3tT0ken';
    const asked: string[] = [];
    const source = createGitSource({
      cacheDir: temp('c-'),
      reposDir: temp('r-'),
      env: GIT_ENV,
      resolveGitHub: async (ownerName) => {
        asked.push(ownerName);
        return {
          url: `${base.replace('//', `//x-access-token:${token}@`)}/${ownerName}.git`,
          token,
        };
      },
    });
    const failure = await source.fetch('acme/api', 'main').catch((error: unknown) => error);
    expect(asked).toEqual(['acme/api']);
    expect(failure).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    const { message, details } = failure as { message: string; details: { stderr: string } };
    expect(message).toContain('git ls-remote of acme/api failed');
    expect(`${message} ${details.stderr}`).not.toContain(token);
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    expect(requests.some((h) => h.authorization === `Basic ${basic}`)).toBe(true);
  });
});
