import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

async function jwt(
  claims: Record<string, unknown>,
  secret = SECRET,
  expires = '5m',
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));
}

describe('authentication', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { SLIPWAY_JWT_SECRET: SECRET } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const workspaces = () => `${server.url}/api/workspaces`;

  it('accepts API tokens the admin creates, shows them once, and refuses them once deleted', async () => {
    const created = await server.api('POST', '/api/tokens', { name: 'ci' });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(token).toMatch(/^slw_/);
    const listed = await server.api('GET', '/api/tokens');
    expect(listed.json.tokens).toEqual([
      expect.objectContaining({ name: 'ci', id: created.json.id }),
    ]);
    expect(JSON.stringify(listed.json)).not.toContain(token);

    const ok = await request(
      workspaces(),
      'POST',
      { name: 'by-token', repositoryUrl: 'demo' },
      { authorization: `Bearer ${token}` },
    );
    expect(ok.status).toBe(201);
    // The creator sees the secret; so does the admin.
    expect(ok.json.deploymentSecret).toBeDefined();
    const forbidden = await request(
      `${server.url}/api/tokens`,
      'POST',
      { name: 'x' },
      { authorization: `Bearer ${token}` },
    );
    expect(forbidden.status).toBe(403);
    expect((await server.api('POST', '/api/tokens', { name: 'ci' })).status).toBe(409);
    expect((await server.api('POST', '/api/tokens', { name: 'bad name!' })).status).toBe(400);

    expect((await server.api('DELETE', `/api/tokens/${created.json.id}`)).status).toBe(204);
    const refused = await request(workspaces(), 'GET', undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(refused.status).toBe(401);
    expect(refused.json.message).toBe('bearer token is not valid');

    // Its name is not given to another token: that one would own what `ci` created, and read
    // the workspace's secret.
    const again = await server.api('POST', '/api/tokens', { name: 'ci' });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe(
      "API token name 'ci' belonged to a revoked token; names are not given twice, so that a new token never owns what the old one did: choose another name",
    );
    const other = (await server.api('POST', '/api/tokens', { name: 'ci-2' })).json.token;
    const byOther = await request(`${workspaces()}/${ok.json.id}`, 'GET', undefined, {
      authorization: `Bearer ${other}`,
    });
    expect(byOther.status).toBe(200);
    expect(byOther.json.deploymentSecret).toBeUndefined();
    expect((await server.api('DELETE', `/api/tokens/${created.json.id}`)).status).toBe(404);
  });

  it('accepts a JWT as bearer or authtoken cookie, and refuses forged or expired ones', async () => {
    const good = await jwt({ email: 'dev@example.com' });
    const bearer = await request(
      workspaces(),
      'POST',
      { name: 'by-jwt', repositoryUrl: 'demo' },
      { authorization: `Bearer ${good}` },
    );
    expect(bearer.status).toBe(201);
    const cookie = await request(workspaces(), 'GET', undefined, { cookie: `authtoken=${good}` });
    expect(cookie.status).toBe(200);
    // Someone else sees the workspace but not its webhook secret.
    const other = await jwt({ sub: 'someone-else' });
    const seen = await request(`${workspaces()}/${bearer.json.id}`, 'GET', undefined, {
      authorization: `Bearer ${other}`,
    });
    expect(seen.status).toBe(200);
    expect(seen.json.deploymentSecret).toBeUndefined();

    const forged = await jwt(
      { email: 'dev@example.com' },
      'another-secret-that-is-also-long-enough',
    );
    const expired = await jwt({ email: 'dev@example.com' }, SECRET, '-1m');
    for (const token of [forged, expired]) {
      const response = await request(workspaces(), 'GET', undefined, {
        cookie: `authtoken=${token}`,
      });
      expect(response.status).toBe(401);
      expect(response.json.message).toMatch(/not a valid JWT/);
    }
    // An API token where a JWT belongs is told so, not sent to configure JWTs.
    const apiToken = await request(workspaces(), 'GET', undefined, {
      cookie: 'authtoken=slw_notajwt0123456789',
    });
    expect(apiToken.status).toBe(401);
    expect(apiToken.json.message).toBe(
      'the authtoken cookie is not a JWT; expected a JWT there (send an API token as "Authorization: Bearer <token>")',
    );
  });

  it('trusts the Identity header from loopback, the default trusted peers', async () => {
    const response = await request(workspaces(), 'GET', undefined, { identity: 'dev@example.com' });
    expect(response.status).toBe(200);
  });

  it('never writes a token to the log', async () => {
    const log = server.output.join('\n');
    expect(log).not.toContain(server.adminToken);
    expect(log).not.toMatch(/slw_[A-Za-z0-9_-]{20,}/);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });
});

describe('the Identity header from an untrusted peer', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { SLIPWAY_IDENTITY_CIDRS: '10.0.0.0/8' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused with 401 saying why, and X-Forwarded-* from it is ignored', async () => {
    const response = await request(`${server.url}/api/workspaces`, 'GET', undefined, {
      identity: 'dev@example.com',
    });
    expect(response.status).toBe(401);
    expect(response.json.message).toMatch(
      /only trusted from SLIPWAY_IDENTITY_CIDRS; 127\.0\.0\.1 is not in them/,
    );
    const created = await server.api(
      'POST',
      '/api/workspaces',
      { name: 'fwd', repositoryUrl: 'demo' },
      { 'x-forwarded-host': 'evil.example.com' },
    );
    expect(created.json._links.self.href.startsWith(server.url)).toBe(true);
  });
});

describe('JWTs verified against a JWKS', () => {
  let server: ServerProcess;
  let jwks: Server;
  let privateKey: PrivateKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const address = jwks.address() as AddressInfo;
    server = await startServer({
      env: { SLIPWAY_JWKS_URL: `http://127.0.0.1:${address.port}/jwks.json` },
    });
  });
  afterAll(async () => {
    await server?.stop();
    jwks?.close();
  });

  it('accepts a token signed by a key of the JWKS and refuses one signed by another key', async () => {
    const sign = (key: PrivateKey) =>
      new SignJWT({ email: 'ops@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setExpirationTime('5m')
        .sign(key);
    const good = await request(`${server.url}/api/workspaces`, 'GET', undefined, {
      authorization: `Bearer ${await sign(privateKey)}`,
    });
    expect(good.status).toBe(200);
    const stranger = (await generateKeyPair('RS256')).privateKey;
    const bad = await request(`${server.url}/api/workspaces`, 'GET', undefined, {
      authorization: `Bearer ${await sign(stranger)}`,
    });
    expect(bad.status).toBe(401);
    expect(bad.json.message).toMatch(/not a valid JWT/);
  });
});
