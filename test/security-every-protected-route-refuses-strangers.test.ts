import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../app/http/openapi/index.js';
import { type ServerProcess, startServer } from './helpers/server.js';

interface Operation {
  method: string;
  path: string;
  security: Array<Record<string, string[]>>;
}

/** Every documented operation that needs a credential (the OpenAPI document lists them all). */
function protectedOperations(): Operation[] {
  const document = openApiDocument() as unknown as {
    paths: Record<
      string,
      Record<string, { security?: Operation['security']; responses?: unknown }>
    >;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation?.responses) continue;
      const security = operation.security ?? [];
      // No requirement, or an anonymous alternative ({}): public.
      if (security.length === 0 || security.some((s) => Object.keys(s).length === 0)) continue;
      operations.push({ method: method.toUpperCase(), path, security });
    }
  }
  return operations;
}

const JWT_SECRET = 'the-real-jwt-secret-of-this-server-0123456789';

describe('every protected route refuses strangers', () => {
  let server: ServerProcess;
  let forged: string;
  const operations = protectedOperations();

  beforeAll(async () => {
    server = await startServer({
      env: { SLIPWAY_JWT_SECRET: JWT_SECRET, SLIPWAY_IDENTITY_CIDRS: '10.0.0.0/8' },
    });
    forged = await new SignJWT({ email: 'mallory@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-guessed-secret-that-is-long-enough-0123'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function call(op: Operation, headers: Record<string, string>) {
    const url = `${server.url}${op.path.replace(/\{[^}]+\}/g, '1')}`;
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
    return fetch(url, {
      method: op.method,
      redirect: 'manual',
      headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      ...(hasBody ? { body: '{}' } : {}),
    });
  }

  it('finds the protected routes in the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(100);
  });

  it.each([
    ['no credential', {}],
    ['a bearer token nobody issued', { authorization: 'Bearer slw_not-a-token-anyone-issued' }],
    ['a JWT signed with another secret', {}],
    ['the authtoken cookie with a forged JWT', {}],
    [
      'an Identity header from a peer outside SLIPWAY_IDENTITY_CIDRS',
      { identity: 'admin@example.com' },
    ],
    ['the dashboard cookie with a bad token', { cookie: 'slipway_session=slw_nope' }],
  ] as Array<[string, Record<string, string>]>)('with %s', async (what, fixed) => {
    const headers: Record<string, string> = { ...fixed };
    if (what.startsWith('a JWT')) headers.authorization = `Bearer ${forged}`;
    if (what.startsWith('the authtoken')) headers.cookie = `authtoken=${forged}`;
    const admitted: string[] = [];
    for (const op of operations) {
      const response = await call(op, headers);
      const session = op.security.some((s) => 'session' in s);
      const refused =
        response.status === 401 ||
        (session &&
          response.status === 302 &&
          /^\/login(\?next=[^&]+)?$/.test(response.headers.get('location') ?? ''));
      if (!refused) admitted.push(`${op.method} ${op.path} -> ${response.status}`);
      else if (response.status === 401) {
        const body = (await response.json()) as Record<string, unknown>;
        // Each surface's own error body, always with a message saying why.
        expect(typeof body.message, `${op.method} ${op.path}`).toBe('string');
      }
    }
    expect(admitted).toEqual([]);
  });

  it("refuses a workspace webhook signed with another workspace's secret", async () => {
    const a = (
      await server.api('POST', '/api/workspaces', { name: 'a', repositoryUrl: '/nowhere/a' })
    ).json;
    const b = (
      await server.api('POST', '/api/workspaces', { name: 'b', repositoryUrl: '/nowhere/b' })
    ).json;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) });
    const signature = `sha256=${createHmac('sha256', b.deploymentSecret).update(body).digest('hex')}`;
    const response = await fetch(
      `${server.url}/api/workspaces/${a.id}/deployments/github-webhook`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': 'cross-workspace',
          'x-hub-signature-256': signature,
        },
        body,
      },
    );
    expect(response.status).toBe(401);
    const jobs = await server.api('GET', `/api/workspaces/${a.id}/jobs`);
    expect(jobs.json.page.totalElements).toBe(0);
  });

  it('never writes a token or secret to its log', async () => {
    const log = server.output.join('\n');
    for (const secret of [
      server.adminToken,
      JWT_SECRET,
      forged,
      'slw_not-a-token-anyone-issued',
      'slw_nope',
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
