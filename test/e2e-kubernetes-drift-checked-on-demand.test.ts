import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { type KubeClients, kubeClients } from './fakes/kube/kube-clients.js';
import { slipway } from './helpers/cli.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';

// Argo CD's Refresh: after a change by hand, or to see whether an incident left the cluster as
// git says, a person asks now rather than waiting for the next check, or with none running.
describe('a drift check asked for now (POST /api/workspaces/{id}/drift)', () => {
  let kube: KubeApiServer;
  let k: KubeClients;
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    k = kubeClients(kube);
    repo = createRepo({
      'tasks/worker/manifest.json': manifest({
        name: 'worker',
        type: 'deployment',
        'image-destination': 'registry.example.com/worker:1',
        replicas: 2,
      }),
    });
    // No SLIPWAY_DRIFT_SECONDS: no checks run on their own.
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it('compares now, says why it cannot, and the CLI asks the same', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'asked',
      repositoryUrl: repo.dir,
      namespace: 'asked',
    });
    const id: string = ws.json.id;
    const check = () => server.api('POST', `/api/workspaces/${id}/drift`);

    const early = await check();
    expect(early.status).toBe(409);
    expect(early.json.message).toBe(
      "workspace 'asked' cannot be compared with git now: it was never deployed",
    );

    const deploy = await server.api('POST', `/api/workspaces/${id}/deployments`);
    expect((await waitForJob(server, deploy.json.id, undefined, 60_000)).status).toBe('COMPLETE');
    const clean = await check();
    expect(clean.status).toBe(200);
    expect(clean.json).toMatchObject({
      status: 'IN_SYNC',
      drifted: [],
      commitId: repo.head(),
      checkEverySeconds: null,
      selfHeal: false,
    });

    const live = await k.apps.readNamespacedDeployment({ name: 'worker', namespace: 'asked' });
    live.spec = { ...live.spec, replicas: 0 } as typeof live.spec;
    await k.apps.replaceNamespacedDeployment({ name: 'worker', namespace: 'asked', body: live });
    const found = await check();
    expect(found.json).toMatchObject({
      status: 'DRIFTED',
      drifted: ["deployment 'worker': Deployment worker: spec.replicas is 0, git says 2"],
    });
    // Read back as the GET shows it, and by the CLI, which asks anew.
    expect((await server.api('GET', `/api/workspaces/${id}/drift`)).json.status).toBe('DRIFTED');
    const cli = await slipway(['workspace', 'drift', 'asked', '--check'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken },
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ status: 'DRIFTED', checked: expect.any(String) });
    expect(cli.json.checked > found.json.checked).toBe(true);

    // While a deploy of it runs (held by a slow cluster), it cannot be compared.
    kube.inject({ method: 'PATCH', path: '/deployments/', delayMs: 2000, times: 1 });
    const redeploy = await server.api('POST', `/api/workspaces/${id}/deployments`);
    const busy = await check();
    expect(busy.status).toBe(409);
    expect(busy.json.message).toMatch(
      /: (a deploy of it is queued or running|it is PROVISIONING, not READY)$/,
    );
    expect((await waitForJob(server, redeploy.json.id, undefined, 60_000)).status).toBe('COMPLETE');
    expect((await server.api('GET', `/api/workspaces/${id}/drift`)).json.status).toBe('UNKNOWN');
    expect((await check()).json).toMatchObject({ status: 'IN_SYNC', drifted: [] });
  });
});
