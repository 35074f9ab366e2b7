import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'slipway';
// As a file-mounted Kubernetes Secret gives it: with a line break at the end.
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

function jwt(
  claims: Record<string, unknown>,
  options: { exp?: string | null; iss?: string; aud?: string } = {},
): Promise<string> {
  const token = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE);
  if (options.exp !== null) token.setExpirationTime(options.exp ?? '5m');
  return token.sign(new TextEncoder().encode(SECRET));
}

describe('subjects a JWT or an Identity header cannot borrow, and JWTs that must be bounded', () => {
  let server: ServerProcess;
  let workspaceId: string;
  beforeAll(async () => {
    server = await startServer({
      env: {
        SLIPWAY_JWT_SECRET: SECRET,
        SLIPWAY_JWT_ISSUER: ISSUER,
        SLIPWAY_JWT_AUDIENCE: AUDIENCE,
        SLIPWAY_ADMIN_TOKEN: `${ADMIN_TOKEN}\n`,
      },
    });
    const created = await request(
      `${server.url}/api/workspaces`,
      'POST',
      { name: 'admins', repositoryUrl: 'demo' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(created.status).toBe(201);
    expect(created.json.deploymentSecret).toBeDefined();
    workspaceId = created.json.id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const list = (headers: Record<string, string>) =>
    request(`${server.url}/api/workspaces`, 'GET', undefined, headers);

  it('accepts the admin token set with a trailing line break, trimmed', async () => {
    const response = await list({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(response.status).toBe(200);
  });

  it.each(['admin', 'ADMIN', 'github'])(
    'refuses the Identity header %j, an identity of Slipway itself, with 401 saying why',
    async (identity) => {
      const response = await list({ identity });
      expect(response.status).toBe(401);
      expect(response.json.message).toContain(`the subject "${identity}" is reserved`);
      expect(response.text).not.toContain('deploymentSecret');
    },
  );

  it.each([
    [{ sub: 'admin' }, 'admin'],
    [{ email: 'token:ci' }, 'token:ci'],
    [{ sub: 'github:octocat' }, 'github:octocat'],
  ])('refuses a JWT with %j: it would act as %s', async (claims, subject) => {
    const token = await jwt(claims);
    const ways: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { cookie: `authtoken=${token}` },
    ];
    for (const headers of ways) {
      const response = await list(headers);
      expect(response.status).toBe(401);
      expect(response.json.message).toContain(`the subject "${subject}" is reserved`);
    }
    const one = await request(`${server.url}/api/workspaces/${workspaceId}`, 'GET', undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(one.status).toBe(401);
    expect(one.text).not.toContain('deploymentSecret');
  });

  it('accepts a user JWT from the issuer for the audience, with an expiry', async () => {
    const response = await list({ authorization: `Bearer ${await jwt({ sub: 'dev' })}` });
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.json)).not.toContain('deploymentSecret');
    expect((await list({ identity: 'admin@example.com' })).status).toBe(200);
  });

  it.each([
    [{ exp: null }, 'missing required "exp" claim'],
    [{ iss: 'https://elsewhere.example.com/' }, `expected "${ISSUER}" (SLIPWAY_JWT_ISSUER)`],
    [{ aud: 'another-service' }, `expected "${AUDIENCE}" (SLIPWAY_JWT_AUDIENCE)`],
  ])('refuses a JWT with %j: %s', async (options, why) => {
    const response = await list({ authorization: `Bearer ${await jwt({ sub: 'dev' }, options)}` });
    expect(response.status).toBe(401);
    expect(response.json.message).toContain('the bearer token is not a valid JWT');
    expect(response.json.message).toContain(why);
  });

  it.each([
    [{ sub: '\u001b[2J\u001b[31mmallory\nWORKSPACE_DEPLOY COMPLETE' }, 'sub'],
    [{ sub: { id: 1 } }, 'sub'],
    [{ sub: ['admin'] }, 'sub'],
    [{ sub: 123 }, 'sub'],
    [{ email: 'eve@example.com\r\nforged line' }, 'email'],
  ])('refuses a JWT whose subject is no name (%j) with 401, not a 500', async (claims, claim) => {
    const response = await list({ authorization: `Bearer ${await jwt(claims)}` });
    expect(response.status).toBe(401);
    expect(response.json.message).toBe(
      `the bearer token is refused: its "${claim}" claim is not a name; expected a string of up to 256 characters without spaces or control characters`,
    );
  });

  it('accepts subjects as identity providers write them', async () => {
    for (const sub of [
      'auth0|5f3c2a',
      'google-oauth2|1049',
      '8f14e45f-ceea-467f-a0e6-f0d2b1c0a4e1',
    ]) {
      expect((await list({ authorization: `Bearer ${await jwt({ sub })}` })).status, sub).toBe(200);
    }
  });
});
