import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGitSource, type GitSourceOptions } from '../core/source/git.js';
import { isTransientGitFailure, withoutProgress } from '../core/source/run-git.js';
import { createRepo } from './helpers/git.js';

const temps: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const GIT_ENV = { PATH: process.env.PATH, HOME: os.tmpdir() };

/** A git "binary": a shell script that runs `body`, then the real git with its arguments. */
function gitWrapper(body: string): string {
  const file = path.join(temp('slipway-git-'), 'git');
  writeFileSync(file, `#!/bin/sh\n${body}\nexec git "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

const make = (extra: Partial<GitSourceOptions>) =>
  createGitSource({
    cacheDir: temp('slipway-cache-'),
    reposDir: temp('slipway-repos-'),
    env: GIT_ENV,
    ...extra,
  });

describe('a git command is stopped when it stalls, not when it is slow', () => {
  it('lets a git that keeps talking run past the no-progress limit', async () => {
    const repo = createRepo({ 'a.txt': 'one' });
    // 1.2 s in all, never 0.5 s without a word: a large fetch reporting its progress.
    const talking = gitWrapper(
      '[ "$1" = ls-remote ] && for i in 1 2 3 4 5 6; do echo "Receiving objects: $i%" >&2; sleep 0.2; done',
    );
    const checkout = await make({ git: talking, stallMs: 500 }).fetch(repo.dir, 'main');
    expect(checkout.commit).toBe(repo.head());
  });

  it('stops a silent git at the no-progress limit, and says that is what happened', async () => {
    const repo = createRepo({ 'a.txt': 'one' });
    const silent = gitWrapper('sleep 2');
    const started = Date.now();
    await expect(make({ git: silent, stallMs: 500 }).fetch(repo.dir, 'main')).rejects.toMatchObject(
      {
        code: 'SOURCE_UNAVAILABLE',
        retryable: true,
        message: `git ls-remote of ${repo.dir} made no progress for 0.5 s (no output from git); stopped it`,
      },
    );
    expect(Date.now() - started).toBeLessThan(1900);
  });

  it('keeps the overall cap, saying it was the overall limit', async () => {
    const repo = createRepo({ 'a.txt': 'one' });
    const talking = gitWrapper('while true; do echo "Counting objects: 1" >&2; sleep 0.1; done');
    await expect(
      make({ git: talking, stallMs: 500, timeoutMs: 800 }).fetch(repo.dir, 'main'),
    ).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      message: `git ls-remote of ${repo.dir} timed out after 0.8 s`,
      hint: 'git was still making progress: that is the overall limit of one git command',
    });
  });

  it('leaves the progress meter out of what a failure quotes', () => {
    const stderr =
      'remote: Enumerating objects: 52, done.\nremote: Counting objects:   1% (1/52)\rremote: Counting objects: 100% (52/52), done.\nReceiving objects:  40% (21/52)\rfatal: early EOF\nfatal: fetch-pack: invalid index-pack output\n';
    expect(withoutProgress(stderr).trim()).toBe(
      'fatal: early EOF\nfatal: fetch-pack: invalid index-pack output',
    );
  });
});

describe('which git failures another attempt may cure', () => {
  it.each([
    // curl 7.88 and later, for a port nothing listens on.
    "fatal: unable to access 'http://127.0.0.1:1/x.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
    // Earlier curl.
    "fatal: unable to access 'https://git.example.com/x.git/': Failed to connect to git.example.com port 443: Connection refused",
    "fatal: unable to access 'https://git.example.com/x.git/': Empty reply from server",
    "fatal: unable to access 'https://git.example.com/x.git/': Recv failure: Connection reset by peer",
    "fatal: unable to access 'https://git.example.com/x.git/': OpenSSL SSL_read: SSL_ERROR_SYSCALL, errno 0",
    "fatal: unable to access 'https://git.example.com/x.git/': The requested URL returned error: 503",
    'error: RPC failed; curl 18 transfer closed with outstanding read data remaining',
    "fatal: unable to access 'https://git.example.com/x.git/': Could not resolve host: git.example.com",
  ])('retries: %s', (stderr) => {
    expect(isTransientGitFailure(stderr)).toBe(true);
  });

  it.each([
    "fatal: repository 'https://git.example.com/x.git/' not found",
    "fatal: Authentication failed for 'https://git.example.com/x.git/'",
    "fatal: couldn't find remote ref refs/heads/nope",
    "fatal: unable to access 'https://git.example.com/x.git/': The requested URL returned error: 403",
  ])('does not retry: %s', (stderr) => {
    expect(isTransientGitFailure(stderr)).toBe(false);
  });

  it('takes an http server that refuses the connection for a transient failure', async () => {
    await expect(make({}).fetch('http://127.0.0.1:1/acme/api.git', 'main')).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      retryable: true,
      message: expect.stringContaining("Couldn't connect to server"),
    });
  });
});
