import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

/**
 * A protected DataTask route answers a stranger 401 before it looks at the path names or the
 * body: what it would say about them (400 `unknown field`, 415) tells a stranger how the route is
 * built, and a stranger's body is not worth parsing.
 */
describe('DataTask protected routes refuse strangers before reading their input', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const form = () => {
    const data = new FormData();
    data.set('foo', '1');
    return data;
  };
  const cases: Array<[string, string, RequestInit]> = [
    ['POST', '/v2/task/elaborate/deploy/flows/x', { body: form() }],
    ['POST', '/v2/task/elaborate/deploy/flows/x', { body: '{"branch": 7}' }],
    [
      'POST',
      '/v2/pipeline/elaborate/run/flows/x/run',
      { body: 'hello', headers: { 'content-type': 'text/plain' } },
    ],
    [
      'POST',
      '/v2/pipeline/elaborate/run/flows/x/Bad_Name',
      { body: '{}', headers: { 'content-type': 'application/json' } },
    ],
    [
      'POST',
      '/v1/task/elaborate/deployinas/demo/x/ns/name',
      { body: '{not json', headers: { 'content-type': 'application/json' } },
    ],
    [
      'POST',
      '/v1/pipeline/elaborate/runinas/demo/x/ns/name',
      { body: '{"nope": 1}', headers: { 'content-type': 'application/json' } },
    ],
    ['GET', '/v1/task/deployinas/demo/x/NS/name', {}],
    ['GET', '/v1/task/deployas/demo/x/Bad_Name', {}],
    ['GET', '/v1/pipeline/runinas/demo/x/ns/NAME', {}],
    ['GET', '/v1/pipeline/runas/demo/x/NAME', {}],
    ['GET', '/v1/task/deploy/%2Ftmp%2Fx/y', {}],
    ['POST', '/apps/deploy-api/v2/task/elaborate/deploy/flows/x', { body: form() }],
  ];

  it.each(cases)('%s %s answers 401 to a stranger', async (method, route, init) => {
    const response = await fetch(`${server.url}${route}`, { method, ...init });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 401, error: 'Unauthorized' });
    expect(body.message).toContain('this route is protected');
  });

  it('still names the bad input to a known caller', async () => {
    const data = new FormData();
    data.set('foo', '1');
    const response = await fetch(`${server.url}/v2/task/elaborate/deploy/flows/x`, {
      method: 'POST',
      body: data,
      headers: { identity: 'dev@example.com' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('foo');
    const name = await request(
      `${server.url}/v1/task/deployinas/demo/x/NS/name`,
      'GET',
      undefined,
      { identity: 'dev@example.com' },
    );
    expect(name.status).toBe(400);
    expect(name.json.message).toContain('":namespace" is "NS"');
  });
});
