import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob, webService } from './fixtures/tasks.js';
import { createRepo, git, type TestRepo } from './helpers/git.js';
import { freePort, isListening } from './helpers/ports.js';
import {
  eventually,
  jobLog,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

describe('a workspace deploy through the real server, on the local runtime', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let port: number;
  let workspaceId: string;
  let apiPort: number;
  /** The repository's first commit: hello and web. */
  let first: string;

  beforeAll(async () => {
    port = await freePort();
    repo = createRepo({ ...helloJob(), ...webService('web', port) });
    first = repo.head();
    // As with `npm start`, the data directory sits inside a package whose package.json says
    // "type": "module"; the tasks' CommonJS scripts must still run as CommonJS.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'slipway-esm-parent-'));
    writeFileSync(path.join(parent, 'package.json'), '{ "type": "module" }\n');
    server = await startServer({ dataDir: path.join(parent, '.slipway') });
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('creates the workspace, deploys every task and ends COMPLETE once all are healthy', async () => {
    const created = await server.api('POST', '/api/workspaces', {
      name: 'Demo',
      repositoryUrl: repo.dir,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'Demo',
      alias: 'demo',
      namespace: 'demo',
      branch: 'main',
      status: 'READY',
    });
    workspaceId = created.json.id;

    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    expect(queued.status).toBe(202);
    const done = await waitForJob(server, queued.json.id);
    const log = await jobLog(server, queued.json.id);
    expect(done.status, log).toBe('COMPLETE');
    expect(done.commitId).toBe(repo.head());
    expect(done.result.created).toEqual(
      expect.arrayContaining([
        { kind: 'job', namespace: 'demo', name: 'hello' },
        { kind: 'service', namespace: 'demo', name: 'web' },
      ]),
    );
    expect(log).toContain('[hello] hello from slipway');
    expect(log).toContain(`service 'web' healthy: 1/1 ready, at http://127.0.0.1:${port}`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toBe('hello web');

    const workspace = await server.api('GET', `/api/workspaces/${workspaceId}`);
    expect(workspace.json.status).toBe('READY');
    expect(workspace.json.lastDeployment).toMatchObject({
      jobId: queued.json.id,
      commitId: repo.head(),
    });
  });

  it('reports an unchanged repository as unchanged and restarts nothing', async () => {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.result.created).toEqual([]);
    expect(done.result.changed).toEqual([]);
    expect(done.result.unchanged).toHaveLength(2);
  });

  it('changes only the task whose directory changed, and prunes a task removed from git', async () => {
    apiPort = await freePort();
    repo.commit({
      'tasks/web': null,
      ...helloJob('hello', 'hello again'),
      ...webService('api', apiPort, 'api'),
    });
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, queued.json.id);
    const log = await jobLog(server, queued.json.id);
    expect(done.status, log).toBe('COMPLETE');
    expect(done.result.changed).toEqual([{ kind: 'job', namespace: 'demo', name: 'hello' }]);
    expect(done.result.created).toEqual([{ kind: 'service', namespace: 'demo', name: 'api' }]);
    expect(done.result.pruned).toEqual([{ kind: 'service', namespace: 'demo', name: 'web' }]);
    expect(log).toContain('[hello] hello again');
    expect(log).toContain("service 'web' pruned");
    await eventually(
      async () => ((await isListening(port)) ? undefined : true),
      'web to stop',
      10_000,
    );
    expect(await (await fetch(`http://127.0.0.1:${apiPort}/`)).text()).toBe('api');
  });

  it('plans without applying: what would change, nothing touched', async () => {
    repo.commit({ 'tasks/api': null });
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments?plan=true`);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.result).toMatchObject({ plan: true, pruned: [{ kind: 'service', name: 'api' }] });
    const workspace = await server.api('GET', `/api/workspaces/${workspaceId}`);
    expect(workspace.json.lastDeployment.commitId).not.toBe(repo.head());
    expect(await isListening(apiPort)).toBe(true);
  });

  it('rolls back to an earlier commit given with ?commit=, and refuses what is not a commit id', async () => {
    const queued = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?commit=${first.toUpperCase()}`,
    );
    expect(queued.status).toBe(202);
    const done = await waitForJob(server, queued.json.id);
    const log = await jobLog(server, queued.json.id);
    expect(done.status, log).toBe('COMPLETE');
    expect(done.commitId).toBe(first);
    expect(log).toContain(`fetching ${repo.dir} at commit ${first}`);
    expect(log).toContain('[hello] hello from slipway');
    expect(done.result.created).toEqual([{ kind: 'service', namespace: 'demo', name: 'web' }]);
    expect(done.result.pruned).toEqual([{ kind: 'service', namespace: 'demo', name: 'api' }]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello web');
    const workspace = await server.api('GET', `/api/workspaces/${workspaceId}`);
    expect(workspace.json.lastDeployment.commitId).toBe(first);

    const short = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?commit=${first.slice(0, 7)}`,
    );
    expect(short.status).toBe(400);
    expect(short.json.message).toBe(
      `"commit" is "${first.slice(0, 7)}"; expected a full commit id (40 hex characters, as git rev-parse prints it)`,
    );
    const unknown = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?commit=${'0123456789'.repeat(4)}`,
    );
    const failed = await waitForJob(server, unknown.json.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.message).toContain(`commit ${'0123456789'.repeat(4)} not found`);
    // What the rollback deployed still runs.
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello web');
  });

  it('deploys for a caller who is not the owner only a commit of the branch', async () => {
    // A commit the repository hands out by its id though no branch holds it, as GitHub does
    // with a fork's commits. Made on the first commit, so deploying it keeps what runs.
    git(repo.dir, 'checkout', '--quiet', '-b', 'fork', first);
    const forked = repo.commit({ 'README.md': 'from a fork' });
    git(repo.dir, 'checkout', '--quiet', 'main');
    git(repo.dir, 'branch', '--quiet', '-D', 'fork');
    const deployAs = (who: string, commit: string) =>
      request(
        `${server.url}/api/workspaces/${workspaceId}/deployments?commit=${commit}`,
        'POST',
        undefined,
        { identity: who },
      );

    const refused = await deployAs('mallory@example.com', forked);
    expect(refused.status).toBe(202);
    const failed = await waitForJob(server, refused.json.id);
    const log = await jobLog(server, refused.json.id);
    expect(failed.status, log).toBe('ERROR');
    expect(failed.message).toBe(
      `commit ${forked} is not one of the commits of 'main' of ${repo.dir}; only the workspace's owner or the admin may deploy a commit that is not on its branch`,
    );
    expect(log).toContain(
      "mallory@example.com is not the workspace's owner: the commit must be one of the commits of branch main",
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello web');

    // One of the branch's commits, however old, is theirs to deploy.
    const rollback = await deployAs('mallory@example.com', first);
    const rolledBack = await waitForJob(server, rollback.json.id);
    expect(rolledBack.status, await jobLog(server, rollback.json.id)).toBe('COMPLETE');
    expect(rolledBack.commitId).toBe(first);
    // The owner (here the admin) may deploy any commit of the repository.
    const owners = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?commit=${forked}`,
    );
    const ownersDone = await waitForJob(server, owners.json.id);
    expect(ownersDone.status, await jobLog(server, owners.json.id)).toBe('COMPLETE');
    expect(ownersDone.commitId).toBe(forked);
  });

  it('refuses to take over what another workspace deployed in its namespace, applying nothing', async () => {
    const unnamed = await server.api('POST', '/api/workspaces', {
      name: '日本語',
      repositoryUrl: repo.dir,
    });
    expect(unnamed.status).toBe(400);
    expect(unnamed.json.message).toContain('has no latin letter or digit');
    const second = await server.api('POST', '/api/workspaces', {
      name: 'Démo Copy',
      repositoryUrl: repo.dir,
      namespace: 'demo',
    });
    expect(second.status, second.text).toBe(201);
    expect(second.json.alias).toBe('demo-copy');

    const queued = await server.api('POST', `/api/workspaces/${second.json.id}/deployments`);
    const refused = await waitForJob(server, queued.json.id);
    expect(refused.status).toBe('ERROR');
    expect(refused.message).toContain(
      `namespace demo already has job 'hello' of workspace 'Demo' (${workspaceId}); deploying would take it over, so nothing was applied`,
    );
    expect(refused.message).toContain("give workspace 'Démo Copy' a namespace of its own");
    // Deleting the refused workspace deletes nothing of the first one's.
    expect((await server.api('DELETE', `/api/workspaces/${second.json.id}`)).status).toBe(204);
    expect(await isListening(port)).toBe(true);
    const again = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, again.json.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.result.created).toEqual([]);
  });

  it('deleting the workspace stops what it deployed', async () => {
    const deleted = await server.api('DELETE', `/api/workspaces/${workspaceId}`);
    expect(deleted.status).toBe(204);
    expect((await server.api('GET', `/api/workspaces/${workspaceId}`)).status).toBe(404);
    expect(await isListening(port)).toBe(false);
  });
});
