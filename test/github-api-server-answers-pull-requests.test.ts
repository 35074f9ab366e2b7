import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { installationToken, probotFor, requestFailureWithHeaders } from './helpers/github-api.js';

// `GET /repos/{owner}/{repo}/pulls/{pull_number}` as GitHub answers it: the pull request's
// state, times and branches; 304 for a conditional request whose ETag still holds, not counted
// against the rate limit; 404 for what the caller cannot see; 403 without pull_requests: read.
describe('the GitHub API test server: pull requests', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let octokit: Octokit;
  let installationId: number;

  const pullOf = (pull_number: number, headers: Record<string, string> = {}) =>
    octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: 'acme',
      repo: 'site',
      pull_number,
      headers,
    });

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo({ 'README.md': 'site\n' });
    github.addRepository('acme/site', repo.dir);
    github.addRepository('other/secret', '/nonexistent');
    installationId = github.addInstallation('acme', ['acme/site']).id;
    octokit = new Octokit({
      baseUrl: github.baseUrl,
      auth: await installationToken(github, installationId),
    });
  });
  afterAll(async () => {
    await github?.close();
    repo?.cleanup();
  });

  it('answers an open pull request with its branches, numbered one after another', async () => {
    const first = github.openPullRequest('acme/site', {
      head: 'feature',
      sha: 'a'.repeat(40),
      base: 'main',
    });
    const second = github.openPullRequest('acme/site', {
      head: 'fix',
      sha: 'b'.repeat(40),
      base: 'main',
      user: 'octocat',
    });
    expect([first.number, second.number]).toEqual([first.number, first.number + 1]);
    const { status, data } = await pullOf(second.number);
    expect(status).toBe(200);
    expect(data).toMatchObject({
      number: second.number,
      state: 'open',
      merged: false,
      closed_at: null,
      merged_at: null,
      user: { login: 'octocat', type: 'User' },
      head: { ref: 'fix', sha: 'b'.repeat(40), repo: { full_name: 'acme/site' } },
      base: { ref: 'main', sha: repo.head(), repo: { full_name: 'acme/site' } },
      html_url: `${github.url}/acme/site/pull/${second.number}`,
    });
    expect(data.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('answers 304 to a request whose ETag still holds, without counting it, and 200 once the pull request changed', async () => {
    const { number } = github.openPullRequest('acme/site', {
      head: 'etag',
      sha: 'c'.repeat(40),
      base: 'main',
    });
    const first = await pullOf(number);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const unchanged = await requestFailureWithHeaders(pullOf(number, { 'if-none-match': etag }));
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.etag).toBe(etag);
    expect(unchanged.headers['x-ratelimit-used']).toBe(first.headers['x-ratelimit-used']);
    const counted = await pullOf(number);
    expect(Number(counted.headers['x-ratelimit-used'])).toBe(
      Number(first.headers['x-ratelimit-used']) + 1,
    );

    github.closePullRequest('acme/site', number, { merged: true });
    const closed = await pullOf(number, { 'if-none-match': etag });
    expect(closed.status).toBe(200);
    expect(closed.headers.etag).not.toBe(etag);
    expect(closed.data).toMatchObject({
      state: 'closed',
      merged: true,
      merged_by: { login: 'Codertocat' },
    });
    expect(closed.data.closed_at).toBe(closed.data.merged_at);
    expect(() => github.reopenPullRequest('acme/site', number)).toThrow(/merged/);
  });

  it('moves an open pull request to another base branch', async () => {
    const { number, updated_at } = github.openPullRequest('acme/site', {
      head: 'stacked',
      sha: 'e'.repeat(40),
      base: 'feature',
    });
    expect((await pullOf(number)).data.base).toMatchObject({ ref: 'feature', sha: null });
    const moved = github.retargetPullRequest('acme/site', number, 'main');
    expect(Date.parse(moved.updated_at ?? '')).toBeGreaterThanOrEqual(Date.parse(updated_at ?? ''));
    expect((await pullOf(number)).data).toMatchObject({
      state: 'open',
      base: { ref: 'main', sha: repo.head() },
    });
    github.closePullRequest('acme/site', number);
    expect(() => github.retargetPullRequest('acme/site', number, 'feature')).toThrow(/closed/);
  });

  it('answers its labels, and another ETag to another token', async () => {
    const { number } = github.openPullRequest('acme/site', {
      head: 'labels',
      sha: 'f'.repeat(40),
      base: 'main',
      labels: ['preview'],
    });
    const first = await pullOf(number);
    expect(first.data.labels).toEqual([
      expect.objectContaining({ name: 'preview', color: 'ededed', default: false }),
    ]);
    github.labelPullRequest('acme/site', number, ['preview', 'bug']);
    const relabelled = await pullOf(number, { 'if-none-match': first.headers.etag as string });
    expect(relabelled.status).toBe(200);
    expect(relabelled.data.labels.map((l: { name: string }) => l.name)).toEqual(['preview', 'bug']);
    // GitHub's ETags hold for the token that asked: the installation's next token reads anew.
    const other = new Octokit({
      baseUrl: github.baseUrl,
      auth: await installationToken(github, installationId),
    });
    const again = await other.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: 'acme',
      repo: 'site',
      pull_number: number,
      headers: { 'if-none-match': relabelled.headers.etag as string },
    });
    expect(again.status).toBe(200);
    expect(again.headers.etag).not.toBe(relabelled.headers.etag);
  });

  it('reopens a pull request closed without merging', async () => {
    const { number } = github.openPullRequest('acme/site', {
      head: 'again',
      sha: 'd'.repeat(40),
      base: 'main',
    });
    github.closePullRequest('acme/site', number);
    expect((await pullOf(number)).data).toMatchObject({
      state: 'closed',
      merged: false,
      merged_at: null,
    });
    github.reopenPullRequest('acme/site', number);
    expect((await pullOf(number)).data).toMatchObject({ state: 'open', closed_at: null });
  });

  it('answers 404 for a pull request that does not exist or a repository the token does not reach, 403 without the permission', async () => {
    expect((await requestFailureWithHeaders(pullOf(9999))).status).toBe(404);
    const hidden = await requestFailureWithHeaders(
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner: 'other',
        repo: 'secret',
        pull_number: 1,
      }),
    );
    expect(hidden.status).toBe(404);
    expect(hidden.data).toMatchObject({ message: 'Not Found' });
    const app = await probotFor(github).auth();
    const { data } = await app.request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installationId,
      permissions: { contents: 'read' },
    });
    const narrowed = new Octokit({ baseUrl: github.baseUrl, auth: data.token });
    const refused = await requestFailureWithHeaders(
      narrowed.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner: 'acme',
        repo: 'site',
        pull_number: 1,
      }),
    );
    expect(refused.status).toBe(403);
    expect(refused.data).toMatchObject({ message: 'Resource not accessible by integration' });
  });
});
