import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { createRepo, manifest } from './helpers/git.js';
import { request, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

/**
 * DESIGN.md sections 2 and 8: a DataTask `:repository` is a name in SLIPWAY_REPOS_DIR or
 * `owner/name` on GitHub. A path would read any repository on the server's disk (manifests carry
 * env values, passwords among them); a URL would make the server connect wherever it is told.
 */
describe('DataTask: a repository is a name, never a path or a URL', () => {
  let server: ServerProcess;
  let outside: ReturnType<typeof createRepo>;
  let listener: net.Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-names-'));
    repoIn(reposDir, 'flows', { 'tasks/hello/manifest.json': job('hello') });
    outside = createRepo(
      {
        'tasks/hello/manifest.json': manifest({
          name: 'hello',
          type: 'job',
          cmd: ['true'],
          env: [{ name: 'DB_PASSWORD', value: 'hunter2-outside-the-repos-dir' }],
        }),
      },
      { branch: 'master' },
    );
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
    outside?.cleanup();
    await new Promise((resolve) => listener?.close(resolve));
  });

  const call = (method: string, route: string, body?: unknown, headers = {}) =>
    request(`${server.url}${route}`, method, body, headers);
  const jobs = async () => (await server.api('GET', '/api/jobs?size=1')).json.page.totalElements;

  it('refuses an absolute path to anyone loading a configuration, and reads nothing there', async () => {
    const before = await jobs();
    const encoded = encodeURIComponent(outside.dir);
    for (const headers of [{}, ME]) {
      const response = await call(
        'POST',
        `/v2/task/load/configuration/from-git/${encoded}/tasks%2Fhello`,
        undefined,
        headers,
      );
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ status: 400, error: 'Bad Request' });
      expect(response.json.message).toBe(
        `":repository" is "${outside.dir}"; expected a repository name in SLIPWAY_REPOS_DIR, or owner/name on GitHub (not a path or URL)`,
      );
    }
    expect(await jobs()).toBe(before);
    expect(server.output.join('\n')).not.toContain('hunter2-outside-the-repos-dir');
  });

  it('refuses a URL without connecting to its host (no port probe)', async () => {
    const before = await jobs();
    for (const url of [`https://127.0.0.1:${port}/x`, `http://127.0.0.1:${port}/x.git`]) {
      const response = await call(
        'POST',
        `/v2/pipeline/load/configuration/from-git/${encodeURIComponent(url)}/p`,
      );
      expect(response.status).toBe(400);
      expect(response.json.message).toContain(`":repository" is "${url}"`);
      expect(response.json.message).not.toMatch(/TLS|ECONNREFUSED|SSL/i);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(connections).toBe(0);
    expect(await jobs()).toBe(before);
  });

  it('refuses paths and URLs on every deploy and run route, even to a known caller', async () => {
    const before = await jobs();
    const routes = [
      ['GET', '/v1/task/deploy/{r}/tasks%2Fhello'],
      ['GET', '/v1/task/deployas/{r}/tasks%2Fhello/hello'],
      ['GET', '/v1/task/deployinas/{r}/tasks%2Fhello/ns/hello'],
      ['POST', '/v1/task/elaborate/deployinas/{r}/tasks%2Fhello/ns/hello'],
      ['POST', '/v2/task/elaborate/deploy/{r}/tasks%2Fhello'],
      ['GET', '/v1/pipeline/runas/{r}/p/run'],
      ['GET', '/v1/pipeline/runinas/{r}/p/ns/run'],
      ['POST', '/v1/pipeline/elaborate/runinas/{r}/p/ns/run'],
      ['POST', '/v2/pipeline/elaborate/run/{r}/p/run'],
      ['POST', '/v2/task/load/configuration/from-git/{r}/tasks%2Fhello'],
    ];
    for (const repository of [outside.dir, './flows', 'file:///tmp/x', 'git@example.com:a/b']) {
      for (const [method, route] of routes) {
        const url = (route as string).replace('{r}', encodeURIComponent(repository));
        const response = await call(method as string, url, undefined, ME);
        expect(response.status, `${method} ${url}`).toBe(400);
        expect(response.json.message, url).toContain(`":repository" is "${repository}"`);
      }
    }
    const inline = await call(
      'POST',
      '/v2/task/deploy/with-configuration',
      { configuration: JSON.parse(job('inline')), namespace: 'ns', repository: outside.dir },
      ME,
    );
    expect(inline.status).toBe(400);
    expect(inline.json.message).toContain(`"repository" is "${outside.dir}"`);
    expect(await jobs()).toBe(before);
  });

  it('never echoes the credentials of a URL it refuses', async () => {
    const url = 'https://me:ghp_secret-in-a-path@github.com/acme/api.git';
    const response = await call(
      'GET',
      `/v1/task/deploy/${encodeURIComponent(url)}/tasks%2Fhello`,
      undefined,
      ME,
    );
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('ghp_secret-in-a-path');
    expect(response.json.message).toContain('"https://***@github.com/acme/api.git"');
  });

  it('still loads from a repository of SLIPWAY_REPOS_DIR without an identity', async () => {
    const loaded = await call('POST', '/v2/task/load/configuration/from-git/flows/tasks%2Fhello');
    expect(loaded.status).toBe(202);
    const state = await eventually(async () => {
      const s = await call(
        'GET',
        `/v2/task/get/configuration-loading-state/${loaded.json.work_id}`,
      );
      return s.json.status === 'done' ? s.json : undefined;
    }, 'the configuration');
    expect(state.configuration).toMatchObject({ name: 'hello', type: 'job' });
  });

  it('asks for an identity before loading owner/name through GitHub', async () => {
    const before = await jobs();
    const anonymous = await call(
      'POST',
      '/v2/task/load/configuration/from-git/acme%2Fprivate-repo/tasks%2Fhello',
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect(anonymous.json).toMatchObject({ status: 401, error: 'Unauthorized' });
    expect(anonymous.json.message).toContain(
      'repository "acme/private-repo" is fetched from GitHub',
    );
    expect(await jobs()).toBe(before);

    const known = await call(
      'POST',
      '/v2/task/load/configuration/from-git/acme%2Fprivate-repo/tasks%2Fhello',
      undefined,
      ME,
    );
    expect(known.status).toBe(202);
  });
});
