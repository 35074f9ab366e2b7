import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../app/cli/run-cli.js';
import { serviceFiles } from './fixtures/np-service.js';
import { type CliResult, slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { hammer } from './helpers/hammer.js';
import { eventually, type ServerProcess, startServer } from './helpers/server.js';

describe('the slipway CLI drives releases and blue-green deployments on the local runtime', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;
  let appId: number;
  let scopeId: number;
  let address: string;

  /** Runs slipway against the server; fails the test unless it exits 0. */
  async function ok(...args: string[]): Promise<CliResult> {
    const result = await slipway(args, { env });
    expect(result.code, `slipway ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  }

  /** deployment create of a release to the scope. */
  function deploy(releaseId: number): Promise<CliResult> {
    return ok(
      'deployment',
      'create',
      '--body',
      JSON.stringify({ scope_id: scopeId, release_id: releaseId }),
    );
  }

  /** build start, add-asset, update, release create: the release's id. */
  async function release(semver: string, commit: string): Promise<number> {
    const build = await ok(
      'build',
      'start',
      '--body',
      JSON.stringify({ application_id: appId, commit: { id: commit }, branch: 'main' }),
    );
    expect(build.json.status).toBe('in_progress');
    await ok(
      'build',
      'add-asset',
      '--id',
      String(build.json.id),
      '--body',
      '{"name": "api", "type": "directory", "url": "svc"}',
    );
    const done = await ok(
      'build',
      'update',
      '--id',
      String(build.json.id),
      '--body',
      '{"status": "successful"}',
    );
    expect(done.json.status).toBe('successful');
    const created = await ok(
      'release',
      'create',
      '--body',
      JSON.stringify({ status: 'active', build_id: build.json.id, application_id: appId, semver }),
    );
    return created.json.id;
  }

  beforeAll(async () => {
    repo = createRepo(serviceFiles());
    server = await startServer();
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('creates an application from a body file and a scope from standard input', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-'));
    const file = path.join(dir, 'application.json');
    writeFileSync(file, JSON.stringify({ name: 'shop', repository_url: repo.dir }));
    appId = (await ok('application', 'create', '--body', file)).json.id;
    expect((await ok('application', 'read', String(appId))).json.name).toBe('shop');
    expect((await ok('application', 'list', '--name', 'shop')).json.results).toHaveLength(1);

    const scope = await slipway(['scope', 'create', '--body', '-'], {
      env,
      input: JSON.stringify({
        application_id: appId,
        name: 'production',
        asset_name: 'api',
        capabilities: { health_check: { initial_delay_seconds: 0, period_seconds: 1 } },
      }),
    });
    expect(scope.code, scope.stderr).toBe(0);
    scopeId = scope.json.id;
    const patched = await ok(
      'scope',
      'patch',
      '--id',
      String(scopeId),
      '--body',
      '{"capabilities": {"max_startup_seconds": 30}}',
    );
    expect(patched.json.capabilities).toMatchObject({ max_startup_seconds: 30, port: 8080 });
    expect((await ok('scope', 'list', '--application_id', String(appId))).json.paging.total).toBe(
      1,
    );
  });

  it('deploys an initial release, waits for it, and follows its job log to the end', async () => {
    const releaseId = await release('1.0.0', repo.head());
    expect(
      (await ok('build', 'list', '--application_id', String(appId))).json.results,
    ).toHaveLength(1);
    expect(
      (await ok('release', 'list', '--application_id', String(appId))).json.results[0],
    ).toMatchObject({ semver: '1.0.0' });
    const created = await deploy(releaseId);
    expect(created.json).toMatchObject({ strategy: 'initial', status: 'creating' });
    const waited = await ok(
      'deployment',
      'wait',
      '--id',
      String(created.json.id),
      '--status',
      'finalized',
    );
    expect(waited.json.strategy_data.switched_traffic).toBe(100);

    const jobs = await ok('jobs', 'list', '--type', 'ROLLOUT');
    const job = jobs.json._embedded.jobs.at(-1);
    const logs = await ok('jobs', 'logs', '--id', job.id, '--follow');
    expect(logs.stdout).toContain('1.0.0');
    const tail = await ok('jobs', 'logs', job.id, '--sequence', '1');
    expect(tail.stdout.split('\n').length).toBeLessThan(logs.stdout.split('\n').length);

    address = (await ok('scope', 'read', '--id', String(scopeId))).json.address;
    expect(await (await fetch(address)).text()).toBe('1.0.0');
  });

  // This test and the next run a dozen CLI processes each (a node start apiece): about 18 s on
  // an idle machine, and more beside the rest of the suite, hence their own time limit.
  it('runs a blue-green deployment: 0 -> 30 -> 100 %, then finalizes, with no failed request', async () => {
    const releaseId = await release('1.1.0', repo.commit({ 'svc/CHANGELOG': '1.1.0\n' }));
    const created = await deploy(releaseId);
    const id = String(created.json.id);
    expect(created.json.strategy).toBe('blue_green');
    const running = await ok('deployment', 'wait', '--id', id, '--status', 'running');
    expect(running.json.strategy_data).toMatchObject({ switched_traffic: 0, healthy_instances: 1 });

    const patch = await ok(
      'deployment',
      'patch',
      '--id',
      id,
      '--body',
      '{"strategy_data": {"desired_switched_traffic": 30}}',
    );
    expect(patch.stdout).toBe('');
    expect(patch.stderr).toContain(`deployment ${id}: change accepted`);
    await ok('deployment', 'wait', '--id', id, '--status', 'running');
    const split = await hammer(address, 500);
    expect(split.failures).toBe(0);
    const share = (split.answers['1.1.0'] ?? 0) / 500;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);

    await ok(
      'deployment',
      'patch',
      '--id',
      id,
      '--body',
      '{"strategy_data": {"desired_switched_traffic": 100}}',
    );
    await ok('deployment', 'wait', '--id', id, '--status', 'running');
    expect((await hammer(address, 40)).answers).toEqual({ '1.1.0': 40 });

    const during = hammer(address, 300);
    await ok('deployment', 'patch', '--id', id, '--body', '{"status": "finalizing"}');
    const finalized = await ok('deployment', 'wait', '--id', id, '--status', 'finalized');
    expect((await during).failures).toBe(0);
    expect(finalized.json.previous_deployment).toBe(Number(created.json.previous_deployment));
    const read = await ok('deployment', 'read', '--id', id, '--include_messages', 'true');
    expect(read.json.messages.length).toBeGreaterThan(2);
  }, 60_000);

  it('cancels a blue-green deployment: traffic goes back and the new release is removed', async () => {
    const releaseId = await release('1.2.0', repo.commit({ 'svc/CHANGELOG': '1.2.0\n' }));
    const id = String((await deploy(releaseId)).json.id);
    await ok('deployment', 'wait', '--id', id, '--status', 'running');

    // Ctrl-C while waiting for it to finalize: the deployment goes on, and the CLI says how to
    // cancel it.
    const polls = () => server.logs().filter((l) => l.path === `/deployment/${id}`).length;
    const before = polls();
    let interrupt = () => {};
    const waiting = slipway(['deployment', 'wait', '--id', id, '--status', 'finalized'], {
      env,
      onSpawn(child) {
        interrupt = () => child.kill('SIGINT');
      },
    });
    await eventually(() => (polls() >= before + 2 ? true : undefined), 'the wait to poll');
    interrupt();
    const interrupted = await waiting;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain(
      `slipway: interrupted; deployment ${id} is still running; it goes on on the server (slipway deployment patch --id ${id} --body '{"status": "cancelling"}' cancels it)`,
    );

    await ok(
      'deployment',
      'patch',
      '--id',
      id,
      '--body',
      '{"strategy_data": {"desired_switched_traffic": 50}}',
    );
    await ok('deployment', 'wait', '--id', id, '--status', 'running');
    const during = hammer(address, 300);
    await ok('deployment', 'patch', '--id', id, '--body', '{"status": "cancelling"}');
    await ok('deployment', 'wait', '--id', id, '--status', 'rolled_back');
    expect((await during).failures).toBe(0);
    expect((await hammer(address, 40)).answers).toEqual({ '1.1.0': 40 });
    const list = await ok(
      'deployment',
      'list',
      '--scope_id',
      String(scopeId),
      '--status',
      'rolled_back',
    );
    expect(list.json.results.map((d: { id: number }) => String(d.id))).toEqual([id]);
  }, 60_000);

  it('exits 1 naming the status when a release fails its health check, and on forbidden transitions', async () => {
    const releaseId = await release('2.0.0', repo.commit(serviceFiles(500)));
    await ok(
      'scope',
      'patch',
      '--id',
      String(scopeId),
      '--body',
      '{"capabilities": {"max_startup_seconds": 3}}',
    );
    const id = String((await deploy(releaseId)).json.id);
    const waited = await slipway(['deployment', 'wait', '--id', id, '--status', 'running'], {
      env,
    });
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`deployment ${id} ended failed, not running`);
    expect(waited.json.status).toBe('failed');
    expect((await hammer(address, 20)).answers).toEqual({ '1.1.0': 20 });

    const finalized = (
      await ok('deployment', 'list', '--scope_id', String(scopeId), '--status', 'finalized')
    ).json.results[0];
    const forbidden = await slipway(
      ['deployment', 'patch', '--id', String(finalized.id), '--body', '{"status": "cancelling"}'],
      { env },
    );
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('answered 400');
    expect(forbidden.stderr).toContain(`from finalized to cancelling`);

    const invalid = await slipway(
      [
        'release',
        'create',
        '--body',
        JSON.stringify({ status: 'active', build_id: 1, application_id: appId, semver: '2' }),
      ],
      { env },
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/"semver" is "2"; expected a semantic version/);
  });

  it('refuses a wrong command line with exit 2 and a message naming what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['deploymnt', 'list'],
        /unknown resource "deploymnt"; expected one of workspace, task, pipeline, application, build/,
      ],
      [
        ['deployment', 'rollback'],
        /unknown action "rollback" for deployment; expected one of create, read/,
      ],
      [['deployment', 'read'], /deployment read needs --id/],
      [['deployment', 'patch', '--id', '1'], /deployment patch needs --body/],
      [['deployment', 'patch', '--id', '1', '--body', '{"status": '], /--body is not valid JSON/],
      [
        ['deployment', 'patch', '--id', '1', '--body', 'nothing.json'],
        /--body is "nothing.json": neither JSON .* nor an existing file/,
      ],
      [
        ['deployment', 'patch', '--id', '1', '--body', '[1]'],
        /--body is \[1\]; expected a JSON object/,
      ],
      [
        ['deployment', 'list', '--colour', 'red'],
        /deployment list takes no --colour; it takes --url, --token, --output, --scope_id/,
      ],
      [
        ['deployment', 'wait', '--id', '1'],
        /--status is missing; expected one or more of creating/,
      ],
      [
        ['deployment', 'wait', '--id', '1', '--status', 'done'],
        /--status "done" is not a deployment status/,
      ],
      [
        ['jobs', 'logs', '--id', 'x', '--sequence', '-1'],
        /--sequence is "-1"; expected a line number/,
      ],
      [
        ['scope', 'list', '--url', 'localhost:3000'],
        /the server URL is "localhost:3000"; expected http/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await slipway(args, { env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const bare = await slipway([], { env });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: slipway <resource> <action>');
  });

  it('answers --help on every command, exits 3 when the server is unreachable and 1 without a token', async () => {
    const help = await slipway(['--help'], {});
    expect(help.code).toBe(0);
    const commands = [...help.stdout.matchAll(/^ {2}(\w+) ([\w-]+) {2,}/gm)].map(
      (m) => [m[1] as string, m[2] as string] as const,
    );
    expect(commands.length).toBeGreaterThanOrEqual(30);
    // Each command's help through the same entry the binary runs, in this process: a process
    // each would take a second apiece.
    for (const [resource, action] of commands) {
      let stdout = '';
      const code = await runCli([resource, action, '--help'], {
        env: {},
        cwd: os.tmpdir(),
        stdout: (text) => {
          stdout += text;
        },
        stderr: () => {},
        readStdin: async () => '',
      });
      expect(code, `${resource} ${action} --help`).toBe(0);
      expect(stdout).toContain(`Usage: slipway ${resource} ${action}`);
      expect(stdout).toContain('Example:');
    }
    const oneSpawned = await slipway(['workspace', 'deploy', '--help'], {});
    expect(oneSpawned.code).toBe(0);
    expect(oneSpawned.stdout).toContain("--id                  the workspace's id or name");
    const resourceHelp = await slipway(['build', '--help'], {});
    expect(resourceHelp.stdout).toContain('add-asset');

    const down = await slipway(['scope', 'list'], { env: { SLIPWAY_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach Slipway at http://127.0.0.1:9');
    // A wait rides out a restart of a server it has heard from, not a wrong address.
    const started = Date.now();
    const neverHeard = await slipway(['deployment', 'wait', '--id', '1', '--status', 'running'], {
      env: { SLIPWAY_URL: 'http://127.0.0.1:9' },
    });
    expect(neverHeard.code).toBe(3);
    expect(neverHeard.stderr).not.toContain('retrying');
    expect(Date.now() - started).toBeLessThan(15_000);

    const anonymous = await slipway(['scope', 'list'], {
      env: { SLIPWAY_URL: server.url },
      cwd: os.tmpdir(),
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/answered 401: .*set SLIPWAY_TOKEN/);
    const bad = await slipway(['scope', 'list'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: 'nope' },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('nope');
  });

  it('finds the admin token of a local server in its data dir when SLIPWAY_TOKEN is unset', async () => {
    const listed = await slipway(['scope', 'list'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_DATA_DIR: server.dataDir },
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.paging.total).toBe(1);
  });
});
