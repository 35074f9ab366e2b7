import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from './helpers/server.js';

/** Sends `method path` with a declared body of `bytes` bytes, none of it sent: the answer. */
function declaringBody(
  server: ServerProcess,
  method: string,
  path: string,
  bytes: number,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        'content-type': 'application/json',
        'content-length': String(bytes),
      },
    });
    outgoing.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }),
      );
    });
    // The server answers before the body comes, then closes: nothing more to send.
    outgoing.on('error', (error) => {
      if (!outgoing.writableEnded) reject(error);
    });
    outgoing.flushHeaders();
  });
}

describe('what the server answers itself (no route, wrong method, body too large), in each surface shape', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a method a route does not take with 405 and Allow, in the surface shape', async () => {
    const matatika = await server.api('PATCH', '/api/jobs/4e1d0c47-2d73-4b4a-9b5d-3c2b0b0e9a11');
    expect(matatika.status).toBe(405);
    expect(matatika.headers.get('allow')).toBe('GET, DELETE, HEAD');
    expect(matatika.json).toMatchObject({
      status: 405,
      error: 'Method Not Allowed',
      path: '/api/jobs/4e1d0c47-2d73-4b4a-9b5d-3c2b0b0e9a11',
    });
    expect(matatika.json.message).toBe(
      'PATCH is not allowed on /api/jobs/4e1d0c47-2d73-4b4a-9b5d-3c2b0b0e9a11; it takes GET, DELETE, HEAD',
    );

    const nullplatform = await server.api('DELETE', '/deployment/1');
    expect(nullplatform.status).toBe(405);
    expect(nullplatform.headers.get('allow')).toBe('GET, PATCH, HEAD');
    expect(nullplatform.json).toEqual({
      message: 'DELETE is not allowed on /deployment/1; it takes GET, PATCH, HEAD',
    });

    const datatask = await server.api('PUT', '/v1/list/tasks/flows');
    expect(datatask.status).toBe(405);
    expect(datatask.json).toMatchObject({ status: 405, error: 'Method Not Allowed' });
  });

  it('answers OPTIONS with the methods a path takes, and a path with a trailing slash as without', async () => {
    const options = await server.api('OPTIONS', '/api/workspaces');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    const slashed = await server.api('GET', '/api/workspaces/');
    expect(slashed.status).toBe(200);
    expect(slashed.json.page).toMatchObject({ number: 0 });
  });

  it('answers an unknown path with 404 in the shape of the surface it is under', async () => {
    const nullplatform = await server.api('GET', '/scope/1/nothing');
    expect(nullplatform.status).toBe(404);
    expect(nullplatform.json).toEqual({ message: 'no route for GET /scope/1/nothing' });
    const metakraftwerk = await server.api('GET', '/api/v1/nothing');
    expect(metakraftwerk.json).toMatchObject({ name: 'NotFound', code: 404 });
    const other = await server.api('GET', '/nothing');
    expect(other.json).toMatchObject({ status: 404, error: 'Not Found', path: '/nothing' });
  });

  it('refuses a body over 25 MB with 413 in the surface shape, before reading it', async () => {
    const big = 26 * 1024 * 1024;
    const nullplatform = await declaringBody(server, 'POST', '/application', big);
    expect(nullplatform).toEqual({
      status: 413,
      json: { message: `request body is larger than ${25 * 1024 * 1024} bytes` },
    });
    const metakraftwerk = await declaringBody(server, 'POST', '/api/v1/deployments', big);
    expect(metakraftwerk.json).toMatchObject({ name: 'PayloadTooLarge', code: 413 });
    const datatask = await declaringBody(server, 'POST', '/v2/task/deploy/with-configuration', big);
    expect(datatask.json).toMatchObject({ status: 413, error: 'Payload Too Large' });
    const matatika = await declaringBody(server, 'POST', '/api/workspaces', big);
    expect(matatika.json).toMatchObject({ status: 413, path: '/api/workspaces' });
  });
});
