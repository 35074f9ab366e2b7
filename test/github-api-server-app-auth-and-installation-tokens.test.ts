import { createPrivateKey } from 'node:crypto';
import { Octokit } from '@octokit/core';
import { importPKCS8, SignJWT } from 'jose';
import { Probot } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';

let github: GitHubApiServer;
let acme: { id: number };
let globex: { id: number };

beforeAll(async () => {
  github = await startGitHubApiServer();
  acme = github.addInstallation('acme', ['acme/shop', 'acme/blog']);
  globex = github.addInstallation('globex', ['globex/api']);
});
afterAll(() => github.close());

/** An App JWT signed with the server's key, with claims relative to now (seconds). */
async function appJwt(claims: { iat?: number; exp?: number; iss?: unknown } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const pkcs8 = createPrivateKey(github.privateKey).export({ type: 'pkcs8', format: 'pem' });
  const key = await importPKCS8(pkcs8.toString(), 'RS256');
  return new SignJWT({ iss: claims.iss ?? github.appId } as Record<string, unknown>)
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuedAt(now + (claims.iat ?? -30))
    .setExpirationTime(now + (claims.exp ?? 540))
    .sign(key);
}

function octokit(auth?: string): Octokit {
  return new Octokit({ baseUrl: github.baseUrl, ...(auth ? { auth } : {}) });
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status: number; response?: { data: { message: string } } };
    return { status: e.status, message: e.response?.data.message ?? '' };
  }
  throw new Error('expected the request to fail');
}

describe('app authentication and installation tokens', () => {
  it('hands out a PKCS#1 key and answers GET /app to the app JWT', async () => {
    expect(github.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const { data, headers } = await octokit(await appJwt()).request('GET /app');
    expect(data).toMatchObject({ id: 4242, slug: 'slipway-test' });
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['x-github-request-id']).toMatch(/^[0-9A-F:]+$/);
    expect(headers['x-ratelimit-limit']).toBe('5000');
    expect(headers['x-ratelimit-resource']).toBe('core');
  });

  it('finds installations by id, account and repository', async () => {
    const app = octokit(await appJwt());
    const { data: all } = await app.request('GET /app/installations');
    expect(all.map((i) => i.account?.login)).toEqual(['acme', 'globex']);
    const byRepo = await app.request('GET /repos/{owner}/{repo}/installation', {
      owner: 'globex',
      repo: 'api',
    });
    expect(byRepo.data.id).toBe(globex.id);
    expect((await app.request('GET /orgs/{org}/installation', { org: 'acme' })).data.id).toBe(
      acme.id,
    );
    expect(
      (await app.request('GET /users/{username}/installation', { username: 'acme' })).data.id,
    ).toBe(acme.id);
    expect(await statusOf(app.request('GET /app/installations/{id}', { id: 999 }))).toEqual({
      status: 404,
      message: 'Not Found',
    });
  });

  it('refuses JWTs that are expired, from the future, too long-lived, forged or for another app', async () => {
    const refused = async (jwt: string) => statusOf(octokit(jwt).request('GET /app'));
    expect(await refused(await appJwt({ iat: -700, exp: -60 }))).toEqual({
      status: 401,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    });
    expect((await refused(await appJwt({ iat: 300, exp: 800 }))).message).toMatch(
      /'Issued at' claim/,
    );
    expect((await refused(await appJwt({ iat: -30, exp: 1200 }))).message).toMatch(
      /too far in the future/,
    );
    expect(await refused(await appJwt({ iss: 1 }))).toEqual({
      status: 401,
      message: 'A JSON web token could not be decoded',
    });
    const other = await startGitHubApiServer();
    const forged = await refused(
      await new SignJWT({ iss: String(github.appId) })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(createPrivateKey(other.privateKey)),
    );
    await other.close();
    expect(forged.status).toBe(401);
    expect(github.requests.at(-1)).toMatchObject({ path: '/app', status: 401, auth: 'bad' });
  });

  it('creates installation tokens, narrowed on request, that reach only their repositories', async () => {
    const app = octokit(await appJwt());
    const { status, data } = await app.request(
      'POST /app/installations/{installation_id}/access_tokens',
      {
        installation_id: acme.id,
      },
    );
    expect(status).toBe(201);
    expect(data.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(Date.parse(data.expires_at) - Date.now()).toBeGreaterThan(59 * 60 * 1000);
    expect(data.permissions).toEqual({
      checks: 'write',
      contents: 'read',
      deployments: 'write',
      pull_requests: 'read',
      metadata: 'read',
    });
    const repos = await octokit(data.token).request('GET /installation/repositories');
    expect(repos.data.repositories.map((r) => r.full_name)).toEqual(['acme/shop', 'acme/blog']);

    const narrowed = await app.request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: acme.id,
      repositories: ['blog'],
    });
    const blogOnly = octokit(narrowed.data.token);
    expect(
      (await blogOnly.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'blog' })).data
        .private,
    ).toBe(true);
    expect(
      (
        await statusOf(
          blogOnly.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' }),
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await statusOf(
          app.request('POST /app/installations/{installation_id}/access_tokens', {
            installation_id: acme.id,
            repositories: ['api'],
          }),
        )
      ).status,
    ).toBe(422);
  });

  it('stops the tokens of a suspended installation and issues none until it is lifted', async () => {
    const app = octokit(await appJwt());
    const issue = () =>
      app.request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: globex.id,
      });
    const { data } = await issue();
    github.suspendInstallation(globex.id);
    try {
      expect(await statusOf(octokit(data.token).request('GET /installation/repositories'))).toEqual(
        { status: 401, message: 'Bad credentials' },
      );
      expect(await statusOf(issue())).toEqual({
        status: 403,
        message: 'This installation has been suspended',
      });
      const { data: installation } = await app.request('GET /app/installations/{installation_id}', {
        installation_id: globex.id,
      });
      expect(installation.suspended_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(installation.suspended_by?.login).toBe('globex');
    } finally {
      github.suspendInstallation(globex.id, false);
    }
    expect((await issue()).status).toBe(201);
  });

  it('answers 401 Bad credentials to unknown tokens and refuses installation tokens on app routes', async () => {
    expect(
      await statusOf(octokit(`ghs_${'x'.repeat(36)}`).request('GET /installation/repositories')),
    ).toEqual({ status: 401, message: 'Bad credentials' });
    const { data } = await octokit(await appJwt()).request(
      'POST /app/installations/{installation_id}/access_tokens',
      { installation_id: acme.id },
    );
    const onAppRoute = statusOf(octokit(data.token).request('GET /app/installations'));
    expect(await onAppRoute).toEqual({
      status: 401,
      message: 'A JSON web token could not be decoded',
    });
  });

  it("keeps installation A's token off installation B's repository", async () => {
    const app = octokit(await appJwt());
    const { data } = await app.request('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: acme.id,
    });
    const acmeToken = octokit(data.token);
    const read = acmeToken.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'api' });
    expect(await statusOf(read)).toEqual({ status: 404, message: 'Not Found' });
    const write = acmeToken.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: 'globex',
      repo: 'api',
      name: 'deploy',
      head_sha: 'a'.repeat(40),
    });
    expect(await statusOf(write)).toEqual({
      status: 403,
      message: 'Resource not accessible by integration',
    });
    expect(github.checkRuns('globex/api')).toEqual([]);
  });

  it('lets Probot authenticate as an installation with the PKCS#1 key, as GitHub Enterprise', async () => {
    const probot = new Probot({
      appId: github.appId,
      privateKey: github.privateKey,
      secret: github.webhookSecret,
      baseUrl: github.baseUrl,
      logLevel: 'fatal',
    });
    const before = github.requests.length;
    const installation = await probot.auth(globex.id);
    const { data } = await installation.request('GET /repos/{owner}/{repo}', {
      owner: 'globex',
      repo: 'api',
    });
    expect(data.full_name).toBe('globex/api');
    expect(github.requests.slice(before)).toEqual([
      {
        method: 'POST',
        path: `/app/installations/${globex.id}/access_tokens`,
        status: 201,
        auth: 'jwt',
      },
      {
        method: 'GET',
        path: '/repos/globex/api',
        status: 200,
        auth: 'installation',
        installationId: globex.id,
      },
    ]);
  });
});
