import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, repoIn } from './fixtures/datatask.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };

/**
 * A DataTask deploy replaces an earlier deploy of a task under its name, never a workload a
 * workspace (or a pipeline run, or a nullplatform deployment) runs in the namespace: it is
 * refused before it is queued, naming the workload and its owner.
 */
describe('a task deploy into a namespace a workspace uses', () => {
  let server: ServerProcess;
  const call = (method: string, route: string, body?: unknown) =>
    request(`${server.url}${route}`, method, body, ME);

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'flows', { 'tasks/web/manifest.json': deployment('web') });
    repoIn(reposDir, 'site', { 'tasks/web/manifest.json': deployment('web') });
    server = await startServer({ reposDir });
    const workspace = await server.api('POST', '/api/workspaces', {
      name: 'site',
      repositoryUrl: 'site',
      branch: 'master',
      namespace: 'shared',
    });
    expect(workspace.status, workspace.text).toBe(201);
    const deploy = await server.api('POST', `/api/workspaces/${workspace.json.id}/deployments`);
    expect((await waitForJob(server, deploy.json.id)).status).toBe('COMPLETE');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused with 409 naming the workspace, and the workspace keeps its workload', async () => {
    const refused = await call('GET', '/v1/task/deployinas/flows/tasks%2Fweb/shared/web');
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.message).toMatch(
      /^namespace shared already has deployment 'web' of workspace 'site' \(\S+\); deploying task 'web' would take it over, so nothing was applied/,
    );
    const listed = await call('GET', '/v1/list/tasks/shared');
    expect(listed.json.deployments).toHaveLength(1);
  });

  it('refuses to delete the workspace’s workload too (409 naming it), which then stays', async () => {
    const refused = await call('GET', '/v1/delete/deployment/shared/web');
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.message).toMatch(
      /^deployment 'web' in namespace 'shared' belongs to workspace 'site' \(\S+\), not to a task deployed over the DataTask API: remove it there$/,
    );
    const listed = await call('GET', '/v1/list/tasks/shared');
    expect(listed.json.deployments).toHaveLength(1);
  });

  it('replaces an earlier deploy of the task itself, and deletes it', async () => {
    const first = await call('GET', '/v1/task/deployinas/flows/tasks%2Fweb/own/web');
    expect(first.status, first.text).toBe(202);
    expect((await waitForJob(server, first.json.id)).status).toBe('COMPLETE');
    const again = await call('GET', '/v1/task/deployinas/flows/tasks%2Fweb/own/web');
    expect(again.status, again.text).toBe(202);
    expect((await waitForJob(server, again.json.id)).status).toBe('COMPLETE');
    const deleted = await call('GET', '/v1/delete/deployment/own/web');
    expect(deleted.status, deleted.text).toBe(200);
  });
});
