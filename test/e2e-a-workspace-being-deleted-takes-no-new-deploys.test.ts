import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

// A delete withdraws the workspace's jobs, then removes its workloads one by one. A deploy
// queued in between would make again what the delete removes, and leave workloads of a
// workspace that no longer exists.
describe('a workspace being deleted', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo(
      Object.fromEntries(
        ['a', 'b'].map((name) => [
          `tasks/${name}/manifest.json`,
          manifest({
            name,
            type: 'deployment',
            'image-destination': `registry.example.com/${name}:1`,
          }),
        ]),
      ),
    );
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it('refuses deploys and ignores pushes until it is gone, and nothing it ran comes back', async () => {
    const ws = (
      await server.api('POST', '/api/workspaces', {
        name: 'leaving',
        repositoryUrl: repo.dir,
        namespace: 'leaving',
      })
    ).json;
    const first = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    expect((await waitForJob(server, first.json.id, undefined, 60_000)).status).toBe('COMPLETE');

    // A cluster slow to delete: each Deployment takes 1.5 s to go.
    kube.inject({ method: 'DELETE', path: '/deployments/', delayMs: 1500, times: 2 });
    const deletes = () => kube.requests.filter((r) => r.method === 'DELETE').length;
    const before = deletes();
    const deleting = server.api('DELETE', `/api/workspaces/${ws.id}`);
    await eventually(() => (deletes() > before ? true : undefined), 'the delete under way');

    const refused = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toBe(
      "workspace 'leaving' is being deleted; nothing more is deployed to it",
    );
    const push = JSON.stringify({ ref: 'refs/heads/main', after: repo.head() });
    const pushed = await request(
      `${server.url}/api/workspaces/${ws.id}/deployments/github-webhook`,
      'POST',
      push,
      {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'during-delete',
        'x-hub-signature-256': `sha256=${createHmac('sha256', ws.deploymentSecret).update(push).digest('hex')}`,
      },
    );
    expect(pushed.status).toBe(200);
    expect(pushed.json.message).toBe("workspace 'leaving' is being deleted; nothing to deploy");

    expect((await deleting).status).toBe(204);
    kube.clearFaults();
    const jobs = await server.api('GET', '/api/jobs?size=100');
    expect(jobs.json.page.totalElements).toBe(1);
    expect(kube.objects('deployments', 'leaving')).toEqual([]);
  });
});
