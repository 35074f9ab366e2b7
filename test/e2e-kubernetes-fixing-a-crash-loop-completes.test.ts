import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const IMAGE = 'registry.example.com/demo/web';

/**
 * A rollout keeps the old ReplicaSet's pods until the new ones are ready, and a crash-looping old
 * pod spends that time in CrashLoopBackOff (back-off 10 s, 20 s, ... up to 5 min). Here a kubelet
 * second lasts 20 ms: the new pod turns ready after its readiness probe's 5 s delay and 10 s
 * period (300 ms), while the old one waits out back-offs of 200 ms, 400 ms, 800 ms...
 */
describe('a deploy that fixes a crash-looping service on Kubernetes', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;

  const web = (env: Record<string, string>, tag: string) => ({
    'tasks/web/manifest.json': manifest({
      name: 'web',
      type: 'service',
      'image-destination': `${IMAGE}:${tag}`,
      'container-port': 8080,
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
    }),
  });

  beforeAll(async () => {
    kube = await startKubeApiServer({ controller: { secondMs: 20 } });
    repo = createRepo(web({ KUBE_FAKE_CRASH: 'true' }, '1'));
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  async function deploy(workspaceId: string) {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, queued.json.id, undefined, 60_000);
    return { done, log: await jobLog(server, queued.json.id) };
  }

  it('ends ERROR on the crash loop, then COMPLETE once the fix has rolled out', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'crashfix',
      repositoryUrl: repo.dir,
      namespace: 'crashfix',
      timeoutSeconds: 30,
    });
    const broken = await deploy(ws.json.id);
    expect(broken.done.status, broken.log).toBe('ERROR');
    expect(broken.done.message).toMatch(
      /^service 'web' failed: CrashLoopBackOff: exited with code 1/,
    );

    repo.commit(web({}, '2'));
    const fixed = await deploy(ws.json.id);
    expect(fixed.done.status, fixed.log).toBe('COMPLETE');
    expect(fixed.done.result.changed).toEqual([
      { kind: 'service', namespace: 'crashfix', name: 'web' },
    ]);
    expect(fixed.log).toContain("service 'web' healthy: 1/1 ready");
    expect(fixed.log).not.toContain('CrashLoopBackOff');
    const images = kube
      .objects('pods', 'crashfix')
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.spec.containers[0].image);
    expect(images).toEqual([`${IMAGE}:2`]);
  });
});
