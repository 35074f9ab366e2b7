import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { request, type ServerProcess, startServer } from './helpers/server.js';

/**
 * Anyone with an identity may read workspaces and deploy them, but only a workspace's owner and
 * the admin may repoint it (a new repositoryUrl or branch would have the owner's signed webhook
 * deploy someone else's code), delete it, or delete its jobs.
 */
describe('changing or deleting a workspace', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let evil: TestRepo;

  const call = (method: string, path: string, identity: string, body?: unknown) =>
    request(`${server.url}${path}`, method, body, { identity });

  beforeAll(async () => {
    repo = createRepo(helloJob());
    evil = createRepo(helloJob('hello', 'mallory was here'));
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
    evil?.cleanup();
  });

  it('is refused to anyone but its owner, with 403 naming the workspace and its owner', async () => {
    const created = await call('POST', '/api/workspaces', 'alice@example.com', {
      name: 'alices-shop',
      repositoryUrl: repo.dir,
    });
    expect(created.status).toBe(201);
    const id = created.json.id;
    const path = `/api/workspaces/${id}`;

    const repoint = await call('PUT', path, 'mallory@example.com', {
      repositoryUrl: evil.dir,
      branch: 'evil',
    });
    expect(repoint.status).toBe(403);
    expect(repoint.json).toMatchObject({ status: 403, error: 'Forbidden', path });
    expect(repoint.json.message).toBe(
      `workspace 'alices-shop' (${id}) belongs to alice@example.com; only its owner or the admin may change it, not mallory@example.com`,
    );
    const removal = await call('DELETE', path, 'mallory@example.com');
    expect(removal.status).toBe(403);
    expect(removal.json.message).toContain('only its owner or the admin may delete it');

    const unchanged = await call('GET', path, 'mallory@example.com');
    expect(unchanged.status).toBe(200);
    expect(unchanged.json).toMatchObject({ repositoryUrl: repo.dir, branch: 'main' });

    // The owner may; so may the admin.
    const byOwner = await call('PUT', path, 'alice@example.com', { branch: 'release' });
    expect(byOwner.status).toBe(200);
    expect(byOwner.json.branch).toBe('release');
    const byAdmin = await server.api('PUT', path, { branch: 'main' });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json.branch).toBe('main');
    expect((await call('DELETE', path, 'alice@example.com')).status).toBe(204);
    expect((await call('GET', path, 'alice@example.com')).status).toBe(404);
  });

  it('of the admin is refused to others; the admin deletes anyone', async () => {
    const admins = await server.api('POST', '/api/workspaces', {
      name: 'admins-shop',
      repositoryUrl: repo.dir,
    });
    const path = `/api/workspaces/${admins.json.id}`;
    const repoint = await call('PUT', path, 'mallory@example.com', { repositoryUrl: evil.dir });
    expect(repoint.status).toBe(403);
    expect(repoint.json.message).toContain('belongs to admin');

    const bobs = await call('POST', '/api/workspaces', 'bob@example.com', {
      name: 'bobs-shop',
      repositoryUrl: repo.dir,
    });
    expect((await server.api('DELETE', `/api/workspaces/${bobs.json.id}`)).status).toBe(204);
  });

  it("keeps a workspace's jobs, its history, from deletion by others; anyone may withdraw one", async () => {
    const created = await call('POST', '/api/workspaces', 'alice@example.com', {
      name: 'alices-history',
      repositoryUrl: repo.dir,
    });
    const deploy = await call(
      'POST',
      `/api/workspaces/${created.json.id}/deployments`,
      'mallory@example.com',
    );
    expect(deploy.status).toBe(202);
    const job = `/api/jobs/${deploy.json.id}`;
    const removal = await call('DELETE', job, 'mallory@example.com');
    expect(removal.status).toBe(403);
    expect(removal.json.message).toBe(
      `workspace 'alices-history' (${created.json.id}) belongs to alice@example.com; only its owner or the admin may delete its jobs, not mallory@example.com`,
    );
    expect((await call('GET', job, 'mallory@example.com')).status).toBe(200);
    expect((await call('DELETE', job, 'alice@example.com')).status).toBe(204);
    expect((await call('GET', job, 'alice@example.com')).status).toBe(404);
  });

  it('of an unknown workspace is 404 for anyone', async () => {
    const missing = '/api/workspaces/00000000-0000-4000-8000-000000000000';
    expect((await call('PUT', missing, 'mallory@example.com', { branch: 'x' })).status).toBe(404);
    expect((await call('DELETE', missing, 'mallory@example.com')).status).toBe(404);
  });
});
