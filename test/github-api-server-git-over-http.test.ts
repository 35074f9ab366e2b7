import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { createRepo, git, type TestRepo } from './helpers/git.js';
import { installationToken } from './helpers/github-api.js';

const run = promisify(execFile);

let github: GitHubApiServer;
let repo: TestRepo;
let first: string;
let second: string;
let work: string;
let acmeToken: string;
let globexToken: string;

beforeAll(async () => {
  github = await startGitHubApiServer();
  repo = createRepo({ 'manifest.json': '{"v":1}\n' });
  first = repo.head();
  second = repo.commit({ 'manifest.json': '{"v":2}\n' });
  github.addRepository('acme/shop', repo.dir);
  acmeToken = await installationToken(github, github.addInstallation('acme', ['acme/shop']).id);
  globexToken = await installationToken(
    github,
    github.addInstallation('globex', ['globex/api']).id,
  );
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-git-http-'));
});
afterAll(async () => {
  await github.close();
  repo.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Runs git as a client would: no prompts, no user or system config, optionally with a token. */
async function gitClient(args: string[], token?: string, cwd = work) {
  const auth = token
    ? [
        '-c',
        `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
      ]
    : [];
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '',
  };
  try {
    const { stdout, stderr } = await run('git', ['-c', 'credential.helper=', ...auth, ...args], {
      cwd,
      env,
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stderr: string; stdout: string };
    return { ok: false, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('git over HTTP', () => {
  it('clones a private repository with an installation token', async () => {
    const clone = await gitClient(
      ['clone', '--quiet', `${github.url}/acme/shop.git`, 'clone'],
      acmeToken,
    );
    expect(clone).toMatchObject({ ok: true });
    expect(readFileSync(path.join(work, 'clone', 'manifest.json'), 'utf8')).toBe('{"v":2}\n');
    expect(git(path.join(work, 'clone'), 'rev-parse', 'HEAD')).toBe(second);
    expect(github.requests.filter((r) => r.path.startsWith('/acme/shop.git'))).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        path: '/acme/shop.git/git-upload-pack',
        status: 200,
        auth: 'installation',
      }),
    );
  });

  it('fetches one older commit by SHA with --depth 1, over protocol v2 and v0', async () => {
    for (const version of ['2', '0']) {
      const dir = path.join(work, `shallow-v${version}`);
      git(work, 'init', '--quiet', dir);
      const fetched = await gitClient(
        [
          '-c',
          `protocol.version=${version}`,
          'fetch',
          '--quiet',
          '--depth',
          '1',
          `${github.url}/acme/shop.git`,
          first,
        ],
        acmeToken,
        dir,
      );
      expect(fetched).toMatchObject({ ok: true });
      expect(git(dir, 'rev-parse', 'FETCH_HEAD')).toBe(first);
      expect(git(dir, 'show', 'FETCH_HEAD:manifest.json')).toBe('{"v":1}');
      expect(git(dir, 'rev-list', '--count', 'FETCH_HEAD')).toBe('1');
    }
  });

  it('refuses without a token, with a bad one, and with a token of another installation', async () => {
    const url = `${github.url}/acme/shop.git`;
    const anonymous = await gitClient(['ls-remote', url]);
    expect(anonymous.ok).toBe(false);
    expect(anonymous.stderr).toMatch(
      /terminal prompts disabled|Authentication failed|could not read Username/,
    );
    const bad = await gitClient(['ls-remote', url], `ghs_${'0'.repeat(36)}`);
    expect(bad.ok).toBe(false);
    const other = await gitClient(['ls-remote', url], globexToken);
    expect(other).toMatchObject({ ok: false });
    expect(other.stderr).toMatch(/not found/i);

    const response = await fetch(`${url}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
  });

  it('serves public repositories to anyone, bare ones too, and refuses pushes', async () => {
    const bare = path.join(work, 'public.git');
    git(work, 'clone', '--quiet', '--bare', repo.dir, bare);
    github.addRepository('acme/public', bare, { private: false });
    expect((await gitClient(['ls-remote', `${github.url}/acme/public.git`])).stdout).toContain(
      `${second}\tHEAD`,
    );
    const octokit = new Octokit({ baseUrl: github.baseUrl });
    expect(
      (await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'public' })).data
        .private,
    ).toBe(false);

    const push = await gitClient(
      ['push', `${github.url}/acme/shop.git`, 'HEAD:refs/heads/evil'],
      acmeToken,
      path.join(work, 'clone'),
    );
    expect(push.ok).toBe(false);
    expect(push.stderr).toMatch(/403/);
  });

  it('inflates gzip-encoded upload-pack requests', async () => {
    // A protocol v2 ls-refs request in pkt-lines, compressed as git compresses large requests.
    const request = Buffer.from('0014command=ls-refs\n00010000');
    const response = await fetch(`${github.url}/acme/shop.git/git-upload-pack`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`x-access-token:${acmeToken}`).toString('base64')}`,
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
        'git-protocol': 'version=2',
      },
      body: gzipSync(request),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    expect(await response.text()).toContain(`${second} refs/heads/main`);
  });
});
