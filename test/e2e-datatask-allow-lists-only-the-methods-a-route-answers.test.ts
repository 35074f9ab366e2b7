import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * `Allow` (on a 405 and on OPTIONS) names the methods a route answers. The DataTask GET routes
 * that deploy, run, kill or delete refuse HEAD (405), so their `Allow` is `GET, POST`, as the
 * README promises; read routes still answer HEAD and list it.
 */
describe('DataTask: Allow lists only the methods a route answers', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const changing = [
    '/v1/task/deploy/flows/tasks%2Fhello',
    '/v1/task/deployas/flows/tasks%2Fhello/x',
    '/v1/task/deployinas/flows/tasks%2Fhello/ns/x',
    '/v1/pipeline/runas/flows/p/x',
    '/v1/pipeline/runinas/flows/p/ns/x',
    '/v1/pipeline/kill/00000000-0000-4000-8000-000000000000',
    '/v1/delete/job/ns/x',
    '/v1/delete/service/ns/x',
  ];

  it('answers a method they do not take with 405 and Allow: GET, POST', async () => {
    for (const route of [...changing, ...changing.map((r) => `/apps/deploy-api${r}`)]) {
      const response = await server.api('PUT', route);
      expect(response.status, route).toBe(405);
      expect(response.headers.get('allow'), route).toBe('GET, POST');
      expect(response.json.message, route).toBe(
        `PUT is not allowed on ${route}; it takes GET, POST`,
      );
      // What Allow says holds: HEAD is refused there.
      expect((await server.api('HEAD', route)).status, route).toBe(405);
    }
  });

  it('answers OPTIONS with GET, POST, OPTIONS there, and keeps HEAD on read routes', async () => {
    for (const route of changing) {
      const options = await server.api('OPTIONS', route);
      expect(options.status, route).toBe(204);
      expect(options.headers.get('allow'), route).toBe('GET, POST, OPTIONS');
    }
    const list = await server.api('OPTIONS', '/v1/list/tasks/flows');
    expect(list.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const head = await fetch(`${server.url}/v1/list/tasks/flows`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const put = await server.api('PUT', '/v1/list/tasks/flows');
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });
});
