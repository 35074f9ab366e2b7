import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { installationToken } from './helpers/github-api.js';

const run = promisify(execFile);

describe('the GitHub API test server after a repository is renamed', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let token: string;
  let octokit: Octokit;
  let runId: number;
  let work: string;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo({ 'README.md': '# site\n' });
    github.addRepository('acme/site', repo.dir);
    // A token made before the rename: GitHub scopes tokens by repository id, so it still covers it.
    token = await installationToken(github, github.addInstallation('acme', ['acme/site']).id);
    octokit = new Octokit({ baseUrl: github.baseUrl, auth: token });
    const created = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: 'acme',
      repo: 'site',
      name: 'Slipway / site',
      head_sha: repo.head(),
      status: 'in_progress',
    });
    runId = Number(created.data.id);
    github.renameRepository('acme/site', 'acme/web');
    work = mkdtempSync(path.join(os.tmpdir(), 'slipway-renamed-'));
  });
  afterAll(async () => {
    await github?.close();
    repo?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('redirects a read of the former name with 301 and a write with 307, as GitHub does', async () => {
    const headers = { authorization: `token ${token}`, 'content-type': 'application/json' };
    const read = await fetch(`${github.baseUrl}/repos/acme/site/check-runs/${runId}`, {
      headers,
      redirect: 'manual',
    });
    expect(read.status).toBe(301);
    expect(read.headers.get('location')).toBe(
      `${github.baseUrl}/repos/acme/web/check-runs/${runId}`,
    );
    expect(await read.json()).toMatchObject({ message: 'Moved Permanently' });
    const write = await fetch(`${github.baseUrl}/repos/acme/site/check-runs/${runId}`, {
      method: 'PATCH',
      headers,
      body: '{}',
      redirect: 'manual',
    });
    expect(write.status).toBe(307);
    expect(await write.json()).toMatchObject({ message: 'Temporary Redirect' });
  });

  it('serves what was made under the former name under the new one, and Octokit follows', async () => {
    const completed = await octokit.request(
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
      { owner: 'acme', repo: 'site', check_run_id: runId, conclusion: 'success' },
    );
    expect(completed.status).toBe(200);
    expect(completed.data).toMatchObject({ id: runId, status: 'completed' });
    const listed = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      owner: 'acme',
      repo: 'web',
      ref: repo.head(),
    });
    expect(listed.data.check_runs.map((r) => Number(r.id))).toEqual([runId]);
    expect(github.checkRuns('acme/web').map((r) => r.id)).toEqual([runId]);
    expect(github.checkRuns('acme/site')).toEqual([]);
  });

  it('redirects git from the former name, and a name taken again is no longer redirected', async () => {
    const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
    const lsRemote = (name: string) =>
      run('git', ['-c', auth, 'ls-remote', `${github.url}/${name}.git`, 'refs/heads/main'], {
        cwd: work,
        env,
      });
    for (const name of ['acme/site', 'acme/web']) {
      expect((await lsRemote(name)).stdout, name).toContain(`${repo.head()}\trefs/heads/main`);
    }
    const other = createRepo({ 'README.md': '# a new site\n' });
    try {
      github.addRepository('acme/site', other.dir, { private: false });
      expect((await lsRemote('acme/site')).stdout).toContain(`${other.head()}\trefs/heads/main`);
      const read = await fetch(`${github.baseUrl}/repos/acme/site/check-runs/${runId}`, {
        headers: { authorization: `token ${token}` },
        redirect: 'manual',
      });
      expect(read.status).toBe(404);
    } finally {
      other.cleanup();
    }
  });
});
