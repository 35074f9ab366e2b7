import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';

let github: GitHubApiServer;

beforeAll(async () => {
  github = await startGitHubApiServer({ appId: 77, slug: 'other-app' });
  github.addInstallation('acme', ['acme/shop']);
});
afterAll(() => github.close());

describe('answers like GitHub', () => {
  it('answers unknown routes 404 with a JSON body and GitHub headers', async () => {
    const response = await fetch(`${github.baseUrl}/repos/acme/shop/hooks/frobnicate`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-ratelimit-limit')).toBe('60');
    expect(response.headers.get('x-github-request-id')).toBeTruthy();
    expect(await response.json()).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
    });
    expect((await fetch(`${github.url}/nowhere`)).status).toBe(404);
  });

  it('hides private repositories from anonymous callers and asks them to authenticate for writes', async () => {
    const anonymous = new Octokit({ baseUrl: github.baseUrl });
    await expect(
      anonymous.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' }),
    ).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      anonymous.request('POST /repos/{owner}/{repo}/deployments', {
        owner: 'acme',
        repo: 'shop',
        ref: 'main',
      }),
    ).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('Requires authentication'),
    });
    expect(github.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/repos/acme/shop/deployments',
      status: 401,
      auth: 'none',
    });
  });

  it('counts the rate limit down per caller', async () => {
    const first = await fetch(`${github.baseUrl}/app`, {
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(first.status).toBe(401);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await fetch(`${github.baseUrl}/app`, {
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
    expect(Number(second.headers.get('x-ratelimit-used'))).toBe(60 - remaining + 1);
    expect(Number(second.headers.get('x-ratelimit-reset')) * 1000).toBeGreaterThan(Date.now());
  });
});
