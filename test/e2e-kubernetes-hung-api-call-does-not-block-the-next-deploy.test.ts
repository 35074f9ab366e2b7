import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const NS = 'stuck';

function tasks(version: number): Record<string, string> {
  return {
    'tasks/migrate/manifest.json': manifest({
      name: 'migrate',
      type: 'job',
      'image-destination': `registry.example.com/stuck/migrate:${version}`,
    }),
  };
}

describe('a deploy whose Kubernetes API call never returns', () => {
  let kube: KubeApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let workspace: string;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo(tasks(1));
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
    workspace = (
      await server.api('POST', '/api/workspaces', {
        name: 'stuck',
        repositoryUrl: repo.dir,
        namespace: NS,
      })
    ).json.id;
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it('is withdrawn, and the next deploy of the workspace runs and completes', async () => {
    // The API server takes the apply of the Job and holds it for an hour.
    kube.inject({ method: 'PATCH', path: '/jobs/', delayMs: 3_600_000 });
    const first = (await server.api('POST', `/api/workspaces/${workspace}/deployments`)).json;
    await waitForJob(server, first.id, ['RUNNING'], 30_000);
    const hung = Date.now();
    while (!kube.objects('namespaces').some((n) => n.metadata.name === NS)) {
      if (Date.now() - hung > 30_000) throw new Error('the deploy never reached the cluster');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const withdrawn = await server.api('PUT', `/api/jobs/${first.id}/stopped`);
    expect(withdrawn.status).toBe(202);

    repo.commit(tasks(2));
    const second = (await server.api('POST', `/api/workspaces/${workspace}/deployments`)).json;
    const done = await waitForJob(server, second.id, ['COMPLETE', 'ERROR', 'STOPPED'], 100_000);
    expect(done.status, `${done.message}\n${await jobLog(server, second.id)}`).toBe('COMPLETE');
    const images = kube
      .objects('jobs', NS)
      .map((j) => j.spec.template.spec.containers[0].image as string);
    expect(images).toEqual(['registry.example.com/stuck/migrate:2']);
    // And the job that was waited on can be deleted: DELETE answers.
    expect((await server.api('DELETE', `/api/jobs/${second.id}`)).status).toBe(204);
  }, 150_000);
});
