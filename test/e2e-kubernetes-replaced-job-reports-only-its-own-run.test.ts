import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const IMAGE = 'registry.example.com/demo/migrate';

/**
 * A changed job is deleted and created again under the same name, and the old Job's pods do not
 * go with it at once: the garbage collector deletes them a while later, and a running one stays
 * Terminating for its grace period (30 s unless the pod says otherwise). Here a kubelet second
 * lasts 100 ms, so a running old pod lingers 3 s, and the collector is half a second behind.
 */
describe('a job changed and deployed again on Kubernetes', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  const repos: TestRepo[] = [];

  beforeAll(async () => {
    kube = await startKubeApiServer({ controller: { secondMs: 100, gcDelayMs: 500 } });
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    for (const repo of repos) repo.cleanup();
  });

  const migrate = (tag: string, env: Record<string, string>) => ({
    'tasks/migrate/manifest.json': manifest({
      name: 'migrate',
      type: 'job',
      'image-destination': `${IMAGE}:${tag}`,
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
    }),
  });

  async function workspace(name: string, files: Record<string, string>, timeoutSeconds: number) {
    const repo = createRepo(files);
    repos.push(repo);
    const ws = await server.api('POST', '/api/workspaces', {
      name,
      repositoryUrl: repo.dir,
      namespace: name,
      timeoutSeconds,
    });
    return { repo, id: ws.json.id as string };
  }

  async function deploy(workspaceId: string) {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, queued.json.id, undefined, 60_000);
    return { done, log: await jobLog(server, queued.json.id) };
  }

  const podsOf = (namespace: string) =>
    kube.objects('pods', namespace).filter((p) => p.metadata.labels?.['job-name'] === 'migrate');

  it("logs only the new run's lines while the cut-off run's pod is still terminating", async () => {
    const { repo, id } = await workspace(
      'relog',
      migrate('1', { KUBE_FAKE_LOGS: 'OLD RUN line', KUBE_FAKE_DURATION_MS: '600000' }),
      2,
    );
    const first = await deploy(id);
    expect(first.done.status, first.log).toBe('ERROR');
    expect(first.done.message).toMatch(/^not healthy after 2 s: job 'migrate' progressing/);
    expect(first.log).toContain('[migrate] OLD RUN line');

    repo.commit(migrate('2', { KUBE_FAKE_LOGS: 'NEW RUN line\nmigrated' }));
    const second = await deploy(id);
    expect(second.done.status, second.log).toBe('COMPLETE');
    expect(second.log).toContain('[migrate] NEW RUN line');
    expect(second.log).toContain('[migrate] migrated');
    expect(second.log).not.toContain('OLD RUN line');
    expect(second.log).toContain("job 'migrate' healthy: completed");
    // The window was real: the first run's pod was still going when the second run was done.
    const images = podsOf('relog').map((p) => p.spec.containers[0].image);
    expect(images).toContain(`${IMAGE}:1`);
  });

  it('judges the new run on its own pod, not on the pod of the run whose image was missing', async () => {
    const { repo, id } = await workspace('repull', migrate('1', { KUBE_FAKE_PULL: 'fail' }), 30);
    const first = await deploy(id);
    expect(first.done.status, first.log).toBe('ERROR');
    expect(first.done.message).toMatch(/^job 'migrate' failed: (ErrImagePull|ImagePullBackOff)/);

    repo.commit(migrate('2', { KUBE_FAKE_LOGS: 'pulled at last' }));
    const second = await deploy(id);
    expect(second.done.status, second.log).toBe('COMPLETE');
    expect(second.log).toContain('[migrate] pulled at last');
    expect(second.log).not.toMatch(/ErrImagePull|ImagePullBackOff/);
  });
});
