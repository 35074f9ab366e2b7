import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { installationToken, probotFor, requestFailureWithHeaders } from './helpers/github-api.js';
import { eventually } from './helpers/wait.js';

let github: GitHubApiServer;
let installationId: number;
let octokit: Octokit;

const where = { owner: 'acme', repo: 'shop' };
const getRepo = () => octokit.request('GET /repos/{owner}/{repo}', where);

beforeAll(async () => {
  github = await startGitHubApiServer();
  installationId = github.addInstallation('acme', ['acme/shop']).id;
  octokit = new Octokit({
    baseUrl: github.baseUrl,
    auth: await installationToken(github, installationId),
  });
});
afterAll(() => github.close());

const statusesOf = (path: string) =>
  github.requests.filter((r) => r.path === path).map((r) => r.status);

describe('fault injection', () => {
  it('answers a 500 once, then normally', async () => {
    github.inject({ method: 'GET', path: '/repos/acme/shop', status: 500 });
    expect(await requestFailureWithHeaders(getRepo())).toMatchObject({
      status: 500,
      data: { message: 'Server Error', documentation_url: 'https://docs.github.com/rest' },
    });
    expect((await getRepo()).status).toBe(200);
  });

  it('matches method, RegExp paths and `times`, and answers 502 with an HTML page', async () => {
    github.inject({ method: 'POST', path: /^\/repos\/[^/]+\/shop$/, status: 503 });
    github.inject({ path: /^\/repos\/acme\/shop$/, status: 502, times: 2 });
    for (let i = 0; i < 2; i++) {
      const answer = await requestFailureWithHeaders(getRepo());
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(String(answer.data)).toContain('Unicorn!');
    }
    expect((await getRepo()).status).toBe(200);
  });

  it("is ridden out by Probot's octokit, which retries a 500 after a second", async () => {
    const installation = await probotFor(github).auth(installationId);
    await installation.request('GET /installation/repositories');
    github.inject({ path: '/repos/acme/shop', status: 500 });
    const started = Date.now();
    const { data } = await installation.rest.repos.get(where);
    expect(data.full_name).toBe('acme/shop');
    // plugin-retry waits (retryCount + 1)^2 seconds: 1 s, then 4 s, then 9 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(statusesOf('/repos/acme/shop').slice(-2)).toEqual([500, 200]);
  });

  it('answers a secondary rate limit with retry-after, quoting the request id', async () => {
    github.inject({ path: '/repos/acme/shop', secondaryRateLimit: true });
    const answer = await requestFailureWithHeaders(getRepo());
    expect(answer.status).toBe(403);
    expect(answer.headers['retry-after']).toBe('1');
    expect((answer.data as { message: string }).message).toBe(
      `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${answer.headers['x-github-request-id']}.`,
    );
  });

  it("surfaces a secondary rate limit through Probot's octokit, which logs it and does not retry", async () => {
    const installation = await probotFor(github).auth(installationId);
    await installation.request('GET /installation/repositories');
    github.inject({ path: '/repos/acme/shop', secondaryRateLimit: true });
    expect((await requestFailureWithHeaders(installation.rest.repos.get(where))).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(statusesOf('/repos/acme/shop').at(-1)).toBe(403);
  });

  it("is waited out by Probot's throttling on a primary rate limit, until the reset", async () => {
    const installation = await probotFor(github).auth(installationId);
    await installation.request('GET /installation/repositories');
    github.inject({ path: '/repos/acme/shop', rateLimit: true });
    const started = Date.now();
    expect((await installation.rest.repos.get(where)).status).toBe(200);
    // Throttling retries one second after x-ratelimit-reset (whole seconds): 1-3 s from now.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(statusesOf('/repos/acme/shop').slice(-2)).toEqual([403, 200]);
  }, 10_000);

  it('answers a primary rate limit with remaining 0 and a reset a second away', async () => {
    const before = await getRepo();
    expect(Number(before.headers['x-ratelimit-remaining'])).toBeGreaterThan(4900);
    github.inject({ path: '/repos/', rateLimit: true });
    const answer = await requestFailureWithHeaders(getRepo());
    expect(answer.status).toBe(403);
    expect(answer.headers['x-ratelimit-remaining']).toBe('0');
    const reset = Number(answer.headers['x-ratelimit-reset']) * 1000;
    expect(reset - Date.now()).toBeGreaterThan(-1000);
    expect(reset - Date.now()).toBeLessThanOrEqual(2000);
    expect(answer.data).toMatchObject({
      message: `API rate limit exceeded for installation ID ${installationId}.`,
    });
  });

  it('holds requests until releaseHeld, then answers them in order', async () => {
    github.inject({ method: 'POST', path: '/repos/acme/shop/check-runs', hold: true, times: 2 });
    const settled: string[] = [];
    const create = (name: string) =>
      octokit
        .request('POST /repos/{owner}/{repo}/check-runs', {
          ...where,
          name,
          head_sha: 'a'.repeat(40),
        })
        .then((r) => settled.push(`${r.data.name}:${r.status}`));
    const first = create('one');
    await eventually(
      () =>
        github.requests.some((r) => r.path.endsWith('/check-runs') && r.status === 0)
          ? true
          : undefined,
      'held request',
    );
    const second = create('two');
    await eventually(
      () => (github.requests.filter((r) => r.status === 0).length === 2 ? true : undefined),
      'two held',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toEqual([]);
    expect(github.checkRuns()).toEqual([]);
    expect(github.releaseHeld()).toBe(2);
    await Promise.all([first, second]);
    expect(settled).toEqual(['one:201', 'two:201']);
    expect(github.releaseHeld()).toBe(0);
  });

  it('delays an answer without changing it', async () => {
    github.inject({ method: 'GET', path: '/repos/acme/shop', delayMs: 400 });
    const started = Date.now();
    expect((await getRepo()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    const fast = Date.now();
    await getRepo();
    expect(Date.now() - fast).toBeLessThan(300);
  });
});
