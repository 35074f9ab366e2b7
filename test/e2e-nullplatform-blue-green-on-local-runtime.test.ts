import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentIn, productionScope, serviceFiles } from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { hammer } from './helpers/hammer.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

describe('nullplatform releases and blue-green deployments (seed 003) on the local runtime', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let app: Json;
  let scope: Json;
  const releases: Record<string, Json> = {};

  beforeAll(async () => {
    repo = createRepo(serviceFiles());
    server = await startServer();
    app = (await server.api('POST', '/application', { name: 'shop', repository_url: repo.dir }))
      .json;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  async function release(semver: string, commit: string): Promise<Json> {
    const build = await server.api('POST', '/build', {
      application_id: app.id,
      commit: { id: commit },
      branch: 'main',
      status: 'successful',
    });
    expect(build.status).toBe(201);
    expect(
      (
        await server.api('POST', `/build/${build.json.id}/asset`, {
          name: 'api',
          type: 'directory',
          url: 'svc',
        })
      ).status,
    ).toBe(201);
    const created = await server.api('POST', '/release', {
      status: 'active',
      build_id: build.json.id,
      application_id: app.id,
      semver,
    });
    expect(created.status, created.text).toBe(201);
    releases[semver] = created.json;
    return created.json;
  }

  async function address(): Promise<string> {
    return (await server.api('GET', `/scope/${scope.id}`)).json.address;
  }

  it('finalizes an initial deployment by itself once its instances are healthy', async () => {
    await release('1.0.0', repo.head());
    scope = (await server.api('POST', '/scope', productionScope(app.id))).json;
    expect(scope).toMatchObject({
      slug: 'production',
      capabilities: {
        port: 8080,
        instances: 1,
        health_check: { path: '/health', timeout_seconds: 5 },
      },
    });
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['1.0.0'].id,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: 'creating',
      strategy: 'initial',
      scope_id: scope.id,
    });
    const done = await deploymentIn(server, created.json.id, ['finalized', 'failed']);
    expect(done.status, JSON.stringify(done.messages)).toBe('finalized');
    expect(done.strategy_data).toMatchObject({
      switched_traffic: 100,
      healthy_instances: 1,
      amount_instances_to_wait: 1,
      launched_instances: 1,
    });
    expect(done.messages.map((m: Json) => m.message).join('\n')).toContain(
      'launching 1 instance(s) of release 1.0.0',
    );
    expect((await server.api('GET', `/scope/${scope.id}`)).json.active_deployment).toBe(
      created.json.id,
    );
    expect(await (await fetch(await address())).text()).toBe('1.0.0');
  });

  it('runs a new release beside the active one, moves 30 % of traffic, and finalizes without failing a request', async () => {
    await release('1.1.0', repo.commit({ 'svc/CHANGELOG': '1.1.0\n' }));
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['1.1.0'].id,
    });
    expect(created.json).toMatchObject({
      strategy: 'blue_green',
      previous_deployment: expect.any(Number),
    });
    const running = await deploymentIn(server, created.json.id, ['running', 'failed']);
    expect(running.status, JSON.stringify(running.messages)).toBe('running');
    expect(running.strategy_data).toMatchObject({ switched_traffic: 0, healthy_instances: 1 });
    const url = await address();
    expect((await hammer(url, 40)).answers).toEqual({ '1.0.0': 40 });

    const patched = await server.api('PATCH', `/deployment/${created.json.id}`, {
      strategy_data: { desired_switched_traffic: 30 },
    });
    expect(patched.status).toBe(204);
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${created.json.id}`)).json.strategy_data
          .switched_traffic === 30
          ? true
          : undefined,
      'traffic at 30 %',
    );
    const split = await hammer(url, 600);
    expect(split.failures).toBe(0);
    const share = (split.answers['1.1.0'] ?? 0) / 600;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);

    const during = hammer(url, 400);
    expect(
      (await server.api('PATCH', `/deployment/${created.json.id}`, { status: 'finalizing' }))
        .status,
    ).toBe(204);
    const finalized = await deploymentIn(server, created.json.id, ['finalized']);
    expect((await during).failures).toBe(0);
    expect(finalized.strategy_data.switched_traffic).toBe(100);
    expect((await hammer(url, 40)).answers).toEqual({ '1.1.0': 40 });
    expect(
      (await server.api('GET', `/deployment/${created.json.previous_deployment}`)).json.status,
    ).toBe('deleted');
    expect((await server.api('GET', `/scope/${scope.id}`)).json.active_deployment).toBe(
      created.json.id,
    );
  });

  it('cancels a blue-green deployment: traffic back on the active release, the new one removed', async () => {
    await release('1.2.0', repo.commit({ 'svc/CHANGELOG': '1.2.0\n' }));
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['1.2.0'].id,
    });
    await deploymentIn(server, created.json.id, ['running']);
    await server.api('PATCH', `/deployment/${created.json.id}`, {
      strategy_data: { desired_switched_traffic: 50 },
    });
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${created.json.id}`)).json.strategy_data
          .switched_traffic === 50
          ? true
          : undefined,
      'traffic at 50 %',
    );
    const url = await address();
    const during = hammer(url, 400);
    expect(
      (await server.api('PATCH', `/deployment/${created.json.id}`, { status: 'cancelling' }))
        .status,
    ).toBe(204);
    const rolledBack = await deploymentIn(server, created.json.id, ['rolled_back']);
    expect((await during).failures).toBe(0);
    expect(rolledBack.messages.map((m: Json) => m.message)).toEqual(
      expect.arrayContaining(['traffic back to the active release']),
    );
    expect((await hammer(url, 40)).answers).toEqual({ '1.1.0': 40 });
  });

  it('fails a release whose instances never pass /health; the active release keeps all traffic', async () => {
    const sick = repo.commit(serviceFiles(500));
    await release('2.0.0', sick);
    await server.api('PATCH', `/scope/${scope.id}`, { capabilities: { max_startup_seconds: 3 } });
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['2.0.0'].id,
    });
    const failed = await deploymentIn(server, created.json.id, ['failed', 'running']);
    expect(failed.status).toBe('failed');
    const last = failed.messages.at(-1);
    expect(last).toMatchObject({ level: 'error' });
    expect(last.message).toMatch(
      /did not pass their health check within 3 s.*health check answered 500.*the active release keeps all traffic/,
    );
    expect((await hammer(await address(), 40)).answers).toEqual({ '1.1.0': 40 });
  });

  it('quotes the last lines of instances that crash in the failed deployment', async () => {
    const crashing = repo.commit({
      'svc/server.js': "console.log('starting');\nthrow new Error('DATABASE_URL is not set');\n",
    });
    await release('2.0.1', crashing);
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['2.0.1'].id,
    });
    const failed = await deploymentIn(server, created.json.id, ['failed', 'running']);
    expect(failed.status).toBe('failed');
    const last: string = failed.messages.at(-1).message;
    expect(last).toMatch(/^instances of d-production-\d+ (failed|did not pass)/);
    expect(last).toMatch(/the active release keeps all traffic\nlast lines:\n/);
    expect(last).toContain('Error: DATABASE_URL is not set');
    expect((await hammer(await address(), 20)).answers).toEqual({ '1.1.0': 20 });
    // The launch's job failed with it, saying why, and was not tried again.
    const launch = (await server.api('GET', '/api/jobs?type=ROLLOUT')).json._embedded.jobs[0];
    expect(launch).toMatchObject({ status: 'ERROR', attempt: 0 });
    expect(launch.message).toBe(`deployment ${created.json.id} failed: ${last.split('\n')[0]}`);
  });

  it('refuses forbidden transitions and bad input, naming what is wrong', async () => {
    const finalized = (await server.api('GET', `/deployment?scope_id=${scope.id}&status=finalized`))
      .json.results[0];
    const forbidden = await server.api('PATCH', `/deployment/${finalized.id}`, {
      status: 'cancelling',
    });
    expect(forbidden.status).toBe(400);
    expect(forbidden.json.message).toContain(
      `cannot move deployment ${finalized.id} from finalized to cancelling`,
    );
    expect(
      (await server.api('PATCH', `/deployment/${finalized.id}`, { status: 'deleted' })).json
        .message,
    ).toContain('from finalized to deleted');
    // A PATCH that names nothing to change is a mistake, not a silent 204.
    for (const [route, field] of [
      [`/deployment/${finalized.id}`, '"status" or "strategy_data.desired_switched_traffic"'],
      [`/scope/${scope.id}`, 'a field to change'],
    ] as const) {
      const empty = await server.api('PATCH', route, {});
      expect(empty.status, route).toBe(400);
      expect(empty.json.message).toContain(`expected ${field}`);
      expect(empty.json.message).toMatch(/^request body is invalid: the request body is \{\}; /);
    }
    // No POST or PATCH here reads its query: a parameter there is refused, not dropped.
    const queried = await server.api('PATCH', `/deployment/${finalized.id}?force=true`, {
      status: 'cancelling',
    });
    expect(queried.status).toBe(400);
    expect(queried.json.message).toBe(
      `query parameter "force" is not taken by PATCH /deployment/${finalized.id}; expected none`,
    );
    // OPTIONS needs no credential: it only says what a path takes.
    const options = await fetch(`${server.url}/deployment/${finalized.id}`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toContain('PATCH');
    const traffic = await server.api('PATCH', `/deployment/${finalized.id}`, {
      strategy_data: { desired_switched_traffic: 10 },
    });
    expect(traffic.status).toBe(400);
    expect(
      (
        await server.api('PATCH', `/deployment/${finalized.id}`, {
          strategy_data: { desired_switched_traffic: 101 },
        })
      ).json.message,
    ).toContain('"strategy_data.desired_switched_traffic" is 101');

    // One unfinished deployment per scope.
    await release('3.0.0', repo.commit(serviceFiles()));
    const first = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['3.0.0'].id,
    });
    const second = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: releases['3.0.0'].id,
    });
    expect(second.status).toBe(400);
    expect(second.json.message).toMatch(
      /^already a running deployment on scope \d+: deployment \d+ \([a-z_]+\); finalize or cancel it first$/,
    );
    await deploymentIn(server, first.json.id, ['running']);
    await server.api('PATCH', `/deployment/${first.json.id}`, { status: 'cancelling' });
    await deploymentIn(server, first.json.id, ['rolled_back']);

    const bare = (await server.api('POST', '/scope', { application_id: app.id, name: 'staging' }))
      .json;
    const noAsset = await server.api('POST', '/deployment', {
      scope_id: bare.id,
      release_id: releases['1.0.0'].id,
    });
    expect(noAsset.status).toBe(400);
    expect(noAsset.json.message).toContain(`scope ${bare.id} has no asset_name`);

    const cases: Array<[string, unknown, RegExp]> = [
      [
        '/release',
        { build_id: 1, application_id: app.id, semver: '1.0', status: 'active' },
        /"semver" is "1.0"; expected a semantic version/,
      ],
      [
        '/release',
        { build_id: 1, application_id: app.id, status: 'active' },
        /"semver" is missing/,
      ],
      [
        '/release',
        { build_id: 1, application_id: app.id, semver: '1.0.0', status: 'active' },
        /already has release 1.0.0/,
      ],
      ['/deployment', { scope_id: 999, release_id: 1 }, /"scope_id" is 999; no such scope/],
      [
        '/scope',
        { application_id: app.id, name: 'x', capabilities: { port: 0 } },
        /"capabilities.port" is 0/,
      ],
    ];
    for (const [route, body, message] of cases) {
      const response = await server.api('POST', route, body);
      expect([400, 409], `${route} ${JSON.stringify(body)}`).toContain(response.status);
      expect(response.json.message).toMatch(message);
    }
  });

  it('pages lists as {paging, results} and filters them', async () => {
    const builds = await server.api('GET', `/build?application_id=${app.id}&limit=2`);
    expect(builds.json.paging).toMatchObject({ offset: 0, limit: 2 });
    expect(builds.json.paging.total).toBeGreaterThanOrEqual(5);
    expect(builds.json.results).toHaveLength(2);
    const rest = await server.api('GET', `/build?application_id=${app.id}&offset=2&limit=200`);
    expect(rest.json.results[0].id).toBeGreaterThan(builds.json.results[1].id);
    expect((await server.api('GET', '/deployment?limit=201')).status).toBe(400);
    expect((await server.api('GET', '/build?application_id=abc')).json.message).toContain(
      '"application_id" is "abc"',
    );
    const releasesOf = await server.api('GET', `/release?application_id=${app.id}&semver=1.1.0`);
    expect(releasesOf.json.results.map((r: Json) => r.semver)).toEqual(['1.1.0']);
    expect((await server.api('GET', '/deployment/999999')).json).toEqual({
      message: 'deployment 999999 does not exist',
    });
  });
});
