import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKubeApiServer } from './fakes/kube/index.js';
import { webService } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { freePort } from './helpers/ports.js';
import {
  deployAndWait,
  jobLog,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

/**
 * A task that turns from a service into a deployment, or back, keeps its name, and so its
 * Deployment: pruning the old kind after the apply removed what the deploy had just applied (the
 * deploy then failed: "it no longer exists"). The old kind now goes first and the new one is
 * created in its place.
 */
let server: ServerProcess;
let repo: TestRepo;
let port: number;
let workspace: string;

beforeAll(async () => {
  port = await freePort();
  repo = createRepo(webService('web', port));
  server = await startServer();
  workspace = (
    await server.api('POST', '/api/workspaces', { name: 'kinds', repositoryUrl: repo.dir })
  ).json.id;
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

async function deploy(): Promise<{ status: string; log: string; result: Record<string, unknown> }> {
  const { done, log } = await deployAndWait(server, workspace);
  return { status: done.status, log, result: done.result };
}

async function running(): Promise<string[]> {
  const listed = await server.api('GET', '/v1/list/tasks/kinds');
  const { deployments, services } = listed.json as Record<string, { name: string }[]>;
  return [
    ...(deployments ?? []).map((d) => `deployment/${d.name}`),
    ...(services ?? []).map((s) => `service/${s.name}`),
  ].sort();
}

it('replaces a service that became a deployment, and a deployment that became a service', async () => {
  const first = await deploy();
  expect(first.status, first.log).toBe('COMPLETE');
  expect(await running()).toEqual(['deployment/web', 'service/web']);

  repo.commit({
    'tasks/web/manifest.json': manifest({
      name: 'web',
      type: 'deployment',
      cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
    }),
  });
  // The plan says what the deploy then does: the new kind created, the old one pruned.
  const planned = await server.api('POST', `/api/workspaces/${workspace}/deployments?plan=true`);
  const plan = await waitForJob(server, planned.json.id);
  const planLog = await jobLog(server, planned.json.id);
  expect(plan.status, planLog).toBe('COMPLETE');
  expect(planLog).toContain("service 'web' would be replaced: it is a deployment in git now");
  const toDeployment = await deploy();
  expect(toDeployment.status, toDeployment.log).toBe('COMPLETE');
  expect(toDeployment.log).toContain("service 'web' replaced: it is a deployment in git now");
  expect(toDeployment.result).toMatchObject({
    created: [{ kind: 'deployment', name: 'web' }],
    pruned: [{ kind: 'service', name: 'web' }],
  });
  for (const field of ['created', 'changed', 'pruned']) {
    expect(plan.result[field], field).toEqual(toDeployment.result[field]);
  }
  // A first attempt has no earlier one to credit anything to.
  expect(`${planLog}${toDeployment.log}`).not.toContain('earlier attempt');
  expect(await running()).toEqual(['deployment/web']);

  repo.commit(webService('web', port));
  const toService = await deploy();
  expect(toService.status, toService.log).toBe('COMPLETE');
  expect(toService.log).toContain("deployment 'web' replaced: it is a service in git now");
  expect(await running()).toEqual(['deployment/web', 'service/web']);
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello web');
});

it('on Kubernetes, keeps the Deployment the deploy applied when a service becomes a deployment', async () => {
  const kube = await startKubeApiServer();
  const images = createRepo({
    'tasks/api/manifest.json': manifest({
      name: 'api',
      type: 'service',
      'container-port': 8080,
      'image-destination': 'registry.example.com/api:1',
    }),
  });
  const onKube = await startServer({
    env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
  });
  try {
    const id = (
      await onKube.api('POST', '/api/workspaces', { name: 'kinds', repositoryUrl: images.dir })
    ).json.id;
    const deployOnKube = async () => {
      const { done, log } = await deployAndWait(onKube, id);
      return { status: done.status, log };
    };
    const names = (plural: string) => kube.objects(plural, 'kinds').map((o) => o.metadata.name);
    expect((await deployOnKube()).status).toBe('COMPLETE');
    expect([names('deployments'), names('services')]).toEqual([['api'], ['api']]);

    images.commit({
      'tasks/api/manifest.json': manifest({
        name: 'api',
        type: 'deployment',
        'image-destination': 'registry.example.com/api:1',
      }),
    });
    const retyped = await deployOnKube();
    expect(retyped.status, retyped.log).toBe('COMPLETE');
    expect([names('deployments'), names('services')]).toEqual([['api'], []]);
  } finally {
    await onKube.stop();
    await kube.close();
    images.cleanup();
  }
});
