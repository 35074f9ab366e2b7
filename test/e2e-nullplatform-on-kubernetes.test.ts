import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRelease, deploymentIn } from './fixtures/np-service.js';
import { slipway } from './helpers/cli.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const NS = 'shop';

describe('nullplatform deployments on Kubernetes (the API test server)', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;
  let app: Json;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo({
      'sick/manifest.json': manifest({
        name: 'sick',
        type: 'service',
        'image-destination': 'registry.example.com/shop:sick',
        env: [{ name: 'KUBE_FAKE_READY', value: 'false' }],
      }),
    });
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
    app = (await server.api('POST', '/application', { name: 'shop', repository_url: repo.dir }))
      .json;
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  const release = (semver: string, asset: { type: string; url: string }): Promise<Json> =>
    createRelease(server, app.id, repo.head(), semver, { name: 'web', ...asset });

  const image = (tag: string) => ({
    type: 'docker-image',
    url: `registry.example.com/shop:${tag}`,
  });

  async function trafficAt(id: number, percent: number): Promise<void> {
    await server.api('PATCH', `/deployment/${id}`, {
      strategy_data: { desired_switched_traffic: percent },
    });
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${id}`)).json.strategy_data.switched_traffic ===
        percent
          ? true
          : undefined,
      `traffic at ${percent} %`,
    );
  }

  const deployments = () =>
    Object.fromEntries(
      kube.objects('deployments', NS).map((d) => [d.metadata.name, d.spec.replicas]),
    );

  it('without a gateway, splits traffic by replica counts and finalizes to the new release', async () => {
    const scope = (
      await server.api('POST', '/scope', {
        application_id: app.id,
        name: 'Production',
        namespace: NS,
        asset_name: 'web',
        capabilities: { instances: 4, health_check: { initial_delay_seconds: 1 } },
      })
    ).json;
    const v1 = await release('1.0.0', image('1.0.0'));
    const first = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: v1.id })
    ).json;
    expect((await deploymentIn(server, first.id, ['finalized', 'failed'])).status).toBe(
      'finalized',
    );
    const service = kube.objects('services', NS).find((s) => s.metadata.name === 'production');
    expect(service?.spec.selector).toEqual({ 'slipway.dev/scope': 'production' });
    expect(service?.spec.ports[0].port).toBe(8080);
    const blue = `d-production-${first.id}`;
    const pod = kube.objects('deployments', NS).find((d) => d.metadata.name === blue)?.spec.template
      .spec.containers[0];
    expect(pod).toMatchObject({
      image: 'registry.example.com/shop:1.0.0',
      readinessProbe: { httpGet: { path: '/health' }, initialDelaySeconds: 1 },
    });
    expect((await server.api('GET', `/scope/${scope.id}`)).json.address).toBe(
      `http://production.${NS}.svc.cluster.local:8080`,
    );

    const v2 = await release('1.1.0', image('1.1.0'));
    const second = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: v2.id })
    ).json;
    const running = await deploymentIn(server, second.id, ['running', 'failed']);
    expect(running.status, JSON.stringify(running.messages)).toBe('running');
    expect(running.strategy_data).toMatchObject({
      healthy_instances: 4,
      amount_instances_to_wait: 4,
    });
    const green = `d-production-${second.id}`;
    expect(deployments()).toEqual({ [blue]: 4, [green]: 0 });
    await trafficAt(second.id, 30);
    expect(deployments()).toEqual({ [blue]: 3, [green]: 1 });
    await server.api('PATCH', `/deployment/${second.id}`, { status: 'finalizing' });
    await deploymentIn(server, second.id, ['finalized']);
    expect(deployments()).toEqual({ [green]: 4 });
  });

  it('with a gateway, weighs an HTTPRoute, and a cancel puts all traffic back', async () => {
    const scope = (
      await server.api('POST', '/scope', {
        application_id: app.id,
        name: 'Edge',
        namespace: NS,
        asset_name: 'web',
        gateway: 'infra/public',
        capabilities: { health_check: { initial_delay_seconds: 0 } },
      })
    ).json;
    const v1 = await release('2.0.0', image('2.0.0'));
    const first = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: v1.id })
    ).json;
    await deploymentIn(server, first.id, ['finalized']);
    const route = () => kube.objects('httproutes', NS).find((r) => r.metadata.name === 'edge');
    // The API server fills in group and kind of each backend, as a real one does.
    const backends = () =>
      route()?.spec.rules[0].backendRefs.map((b: Json) => ({
        name: b.name,
        port: b.port,
        weight: b.weight,
      }));
    expect(route()?.spec.parentRefs).toEqual([
      expect.objectContaining({ name: 'public', namespace: 'infra' }),
    ]);
    expect(backends()).toEqual([{ name: `d-edge-${first.id}`, port: 8080, weight: 100 }]);

    const v2 = await release('2.1.0', image('2.1.0'));
    const second = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: v2.id })
    ).json;
    await deploymentIn(server, second.id, ['running']);
    await trafficAt(second.id, 30);
    expect(backends()).toEqual([
      { name: `d-edge-${first.id}`, port: 8080, weight: 70 },
      { name: `d-edge-${second.id}`, port: 8080, weight: 30 },
    ]);
    await server.api('PATCH', `/deployment/${second.id}`, { status: 'cancelling' });
    await deploymentIn(server, second.id, ['rolled_back']);
    expect(backends()).toEqual([{ name: `d-edge-${first.id}`, port: 8080, weight: 100 }]);
    expect(kube.objects('deployments', NS).map((d) => d.metadata.name)).not.toContain(
      `d-edge-${second.id}`,
    );
  });

  it('fails a release whose pods never become ready; the active release keeps its traffic', async () => {
    const scope = (
      await server.api('POST', '/scope', {
        application_id: app.id,
        name: 'Canary',
        namespace: NS,
        asset_name: 'web',
        capabilities: { max_startup_seconds: 2 },
      })
    ).json;
    const good = await release('3.0.0', image('3.0.0'));
    const first = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: good.id })
    ).json;
    await deploymentIn(server, first.id, ['finalized']);
    const sick = await release('3.1.0', { type: 'directory', url: 'sick' });
    const second = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: sick.id })
    ).json;
    const failed = await deploymentIn(server, second.id, ['failed', 'running']);
    expect(failed.status).toBe('failed');
    expect(failed.messages.at(-1).message).toMatch(
      /did not pass their health check within 2 s.*the active release keeps all traffic/,
    );
    expect(kube.objects('deployments', NS).map((d) => d.metadata.name)).toContain(
      `d-canary-${first.id}`,
    );
    expect(kube.objects('deployments', NS).map((d) => d.metadata.name)).not.toContain(
      `d-canary-${second.id}`,
    );
    expect((await server.api('GET', `/scope/${scope.id}`)).json.active_deployment).toBe(first.id);
  });
  it('is driven by the slipway CLI: blue-green to 50 %, a refused transition, cancel, then finalize', async () => {
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    const cli = async (...args: string[]) => {
      const result = await slipway(args, { env });
      expect(result.code, `slipway ${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result.json;
    };
    const scope = await cli(
      'scope',
      'create',
      '--body',
      JSON.stringify({
        application_id: app.id,
        name: 'Cli',
        namespace: NS,
        asset_name: 'web',
        capabilities: { instances: 2, health_check: { initial_delay_seconds: 0 } },
      }),
    );
    const deploy = async (semver: string) => {
      const created = await cli(
        'deployment',
        'create',
        '--body',
        JSON.stringify({
          scope_id: scope.id,
          release_id: (await release(semver, image(semver))).id,
        }),
      );
      return String(created.id);
    };
    const first = await deploy('4.0.0');
    await cli('deployment', 'wait', '--id', first, '--status', 'finalized');

    const second = await deploy('4.1.0');
    await cli('deployment', 'wait', '--id', second, '--status', 'running');
    await cli(
      'deployment',
      'patch',
      '--id',
      second,
      '--body',
      '{"strategy_data": {"desired_switched_traffic": 50}}',
    );
    const half = await cli('deployment', 'wait', '--id', second, '--status', 'running');
    expect(half.strategy_data.switched_traffic).toBe(50);
    expect(deployments()).toMatchObject({ [`d-cli-${first}`]: 1, [`d-cli-${second}`]: 1 });
    const refused = await slipway(
      ['deployment', 'patch', '--id', first, '--body', '{"status": "finalizing"}'],
      { env },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('from finalized to finalizing');
    await cli('deployment', 'patch', '--id', second, '--body', '{"status": "cancelling"}');
    await cli('deployment', 'wait', '--id', second, '--status', 'rolled_back');
    expect(deployments()).toMatchObject({ [`d-cli-${first}`]: 2 });
    expect(deployments()).not.toHaveProperty(`d-cli-${second}`);

    const third = await deploy('4.2.0');
    await cli('deployment', 'wait', '--id', third, '--status', 'running');
    await cli('deployment', 'patch', '--id', third, '--body', '{"status": "finalizing"}');
    await cli('deployment', 'wait', '--id', third, '--status', 'finalized');
    expect(deployments()).toMatchObject({ [`d-cli-${third}`]: 2 });
    expect(deployments()).not.toHaveProperty(`d-cli-${first}`);
  });
});
