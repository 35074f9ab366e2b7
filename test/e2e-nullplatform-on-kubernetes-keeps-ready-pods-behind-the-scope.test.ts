import { afterAll, beforeAll, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRelease, deploymentIn } from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * Without a gateway, a scope's traffic is split by replica counts, so a release at 0 % has no
 * pods. Moving all traffic to it (finalize), or back to a release at 0 % (cancel), must start its
 * pods and wait until they are ready before the other release goes: otherwise the scope's Service
 * has no ready pod for as long as the new ones take to pass their readiness probe. Here that
 * takes 2.75 s (a probe after 1 s, every 10 s, at 250 ms a second), longer than the 2 s drain.
 */
const NS = 'keep';
const SECOND_MS = 250;

let kube: KubeApiServer;
let server: ServerProcess;
let repo: TestRepo;
let scope: Json;
let app: Json;

beforeAll(async () => {
  kube = await startKubeApiServer({ controller: { secondMs: SECOND_MS } });
  repo = createRepo({ 'README.md': 'images only\n' });
  server = await startServer({
    env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
  });
  app = (await server.api('POST', '/application', { name: 'keep', repository_url: repo.dir })).json;
  scope = (
    await server.api('POST', '/scope', {
      application_id: app.id,
      name: 'Web',
      namespace: NS,
      asset_name: 'web',
      capabilities: { instances: 2, health_check: { initial_delay_seconds: 1 } },
    })
  ).json;
});
afterAll(async () => {
  await server?.stop();
  await kube?.close();
  repo?.cleanup();
});

async function deploy(semver: string): Promise<number> {
  const release = await createRelease(server, app.id, repo.head(), semver, {
    name: 'web',
    type: 'docker-image',
    url: `registry.example.com/keep:${semver}`,
  });
  const created = await server.api('POST', '/deployment', {
    scope_id: scope.id,
    release_id: release.id,
  });
  expect(created.status, created.text).toBe(201);
  return created.json.id;
}

/** Pods the scope's Service sends requests to: its label, Ready, not on their way out. */
function readyPods(): number {
  return kube
    .objects('pods', NS)
    .filter(
      (pod) =>
        pod.metadata.labels?.['slipway.dev/scope'] === 'web' &&
        !pod.metadata.deletionTimestamp &&
        pod.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'),
    ).length;
}

/** The fewest ready pods behind the scope, looked at every 5 ms, until `end` resolves. */
async function fewestReadyWhile(end: Promise<unknown>): Promise<number> {
  let fewest = readyPods();
  const look = setInterval(() => {
    fewest = Math.min(fewest, readyPods());
  }, 5);
  try {
    await end;
  } finally {
    clearInterval(look);
  }
  return Math.min(fewest, readyPods());
}

it('starts the release that takes the traffic, and waits for its pods, before the other one goes', async () => {
  const first = await deploy('1.0.0');
  await deploymentIn(server, first, ['finalized']);
  expect(readyPods()).toBe(2);

  const second = await deploy('1.1.0');
  const running = await deploymentIn(server, second, ['running', 'failed']);
  expect(running.status, JSON.stringify(running.messages)).toBe('running');

  // Finalize: the new release has no pods at 0 %; the old one may go only once they serve.
  await server.api('PATCH', `/deployment/${second}`, { status: 'finalizing' });
  const whileFinalizing = await fewestReadyWhile(deploymentIn(server, second, ['finalized']));
  expect(whileFinalizing).toBeGreaterThanOrEqual(1);
  expect(kube.objects('deployments', NS).map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
    [`d-web-${second}`, 2],
  ]);

  // Cancel at 100 %: the active release is the one at 0 % now, and it comes back first.
  const third = await deploy('1.2.0');
  await deploymentIn(server, third, ['running']);
  await server.api('PATCH', `/deployment/${third}`, {
    strategy_data: { desired_switched_traffic: 100 },
  });
  await eventually(
    async () =>
      (await server.api('GET', `/deployment/${third}`)).json.strategy_data.switched_traffic === 100
        ? true
        : undefined,
    'traffic at 100 %',
    30_000,
  );
  await eventually(
    async () => (readyPods() === 2 ? true : undefined),
    'only the new pods to be left',
    30_000,
  );
  await server.api('PATCH', `/deployment/${third}`, { status: 'cancelling' });
  const whileCancelling = await fewestReadyWhile(deploymentIn(server, third, ['rolled_back']));
  expect(whileCancelling).toBeGreaterThanOrEqual(1);
  expect(kube.objects('deployments', NS).map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
    [`d-web-${second}`, 2],
  ]);
}, 120_000);
