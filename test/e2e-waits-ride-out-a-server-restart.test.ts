import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRelease } from './fixtures/np-service.js';
import { slowJob, slowJobStarted } from './fixtures/tasks.js';
import { runAction } from './helpers/action.js';
import { slipway } from './helpers/cli.js';
import { createRepo } from './helpers/git.js';
import { crashAndRestart, eventually, type ServerProcess, startServer } from './helpers/server.js';

/**
 * A waiting client against a server that is killed in the middle of the deploy it waits for,
 * then started again on the same port and data directory, as an upgrade or a crash would.
 */
describe('a client waiting on a deploy while the server is killed and started again', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  /** A server with a workspace whose deploy runs a 4 s job; `restart` kills it mid-job. */
  async function slowDeploy(name: string) {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-restart-')), 'runs');
    const repo = createRepo(slowJob('slow', marker, 4000));
    const first = await startServer();
    servers.push(first);
    await first.api('POST', '/api/workspaces', { name, repositoryUrl: repo.dir });
    return {
      first,
      async restart(): Promise<ServerProcess> {
        await slowJobStarted(marker);
        const second = await crashAndRestart(first, 1500);
        servers.push(second);
        return second;
      },
      finished: () => readFileSync(marker, 'utf8').includes('end '),
      cleanup: () => repo.cleanup(),
    };
  }

  /** The whole log of the job, as the server has it. */
  async function logOf(server: ServerProcess, jobId: string | undefined): Promise<string[]> {
    return (await server.api('GET', `/api/jobs/${jobId}/logs?sequence=0`)).text.trim().split('\n');
  }

  it('slipway workspace deploy --wait waits the outage out and prints each line of the log once', async () => {
    const deploy = await slowDeploy('steady');
    const env = { SLIPWAY_URL: deploy.first.url, SLIPWAY_TOKEN: deploy.first.adminToken };
    const waiting = slipway(['workspace', 'deploy', 'steady', '--wait'], { env });
    const second = await deploy.restart();

    const result = await waiting;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`cannot reach Slipway at ${deploy.first.url} \\(\\w+\\); retrying for up to 60 s`),
    );
    expect(result.stderr).toMatch(/Slipway answers again; following job [0-9a-f-]{36}/);
    const jobId = /job ([0-9a-f-]{36})/.exec(result.stderr)?.[1];
    // None lost in the outage, none printed twice, in order.
    expect(result.stdout.trim().split('\n')).toEqual(await logOf(second, jobId));
    expect(result.stdout.match(/\[slow\] finished/g)).toHaveLength(1);
    expect(deploy.finished()).toBe(true);
    deploy.cleanup();
  });

  it('the Action in remote mode waits the outage out and the step succeeds', async () => {
    const deploy = await slowDeploy('steady-action');
    const running = runAction({
      'server-url': deploy.first.url,
      token: deploy.first.adminToken,
      command: 'deploy-workspace',
      workspace: 'steady-action',
    });
    const second = await deploy.restart();

    const run = await running;
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('COMPLETE');
    expect(run.stdout).toMatch(/cannot reach Slipway at .*; retrying for up to 60 s/);
    expect(run.stdout).toContain(`Slipway answers again; following job ${run.outputs['job-id']}`);
    const log = await logOf(second, run.outputs['job-id']);
    expect(log).toContain('[slow] finished');
    expect(run.stdout.match(/\[slow\] finished/g)).toHaveLength(1);
    deploy.cleanup();
  });

  it('slipway deployment wait waits the outage out until the release is finalized', async () => {
    // A service that is healthy only 3 s after it starts: the rollout is still waiting for it
    // when the server is killed, and again after the restart brings the service back.
    const repo = createRepo({
      'svc/manifest.json': JSON.stringify({
        name: 'api',
        type: 'service',
        cmd: ['node', 'server.js'],
      }),
      'svc/server.js': `const started = Date.now();
require('node:http').createServer((q, s) => {
  if (q.url === '/health') { s.statusCode = Date.now() - started > 3000 ? 200 : 503; return s.end(); }
  s.end(process.env.NP_RELEASE);
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
    });
    const first = await startServer();
    servers.push(first);
    const post = async (route: string, body: unknown) => {
      const answer = await first.api('POST', route, body);
      expect(answer.status, `${route}: ${answer.text}`).toBeLessThan(300);
      return answer.json;
    };
    const app = await post('/application', { name: 'shop', repository_url: repo.dir });
    const scope = await post('/scope', {
      application_id: app.id,
      name: 'production',
      asset_name: 'api',
      capabilities: {
        health_check: { initial_delay_seconds: 0, period_seconds: 1 },
        max_startup_seconds: 60,
      },
    });
    const release = await createRelease(first, app.id, repo.head(), '1.0.0');
    const deployment = await post('/deployment', { scope_id: scope.id, release_id: release.id });

    const env = { SLIPWAY_URL: first.url, SLIPWAY_TOKEN: first.adminToken };
    const waiting = slipway(
      ['deployment', 'wait', '--id', String(deployment.id), '--status', 'finalized'],
      {
        env,
      },
    );
    // The crash comes once the CLI has heard from the server (a wait does not wait out an
    // address that never answered) and the rollout waits for its instance. This test reads the
    // deployment from the list, so the reads of /deployment/{id} in the log are the CLI's.
    await eventually(async () => {
      const heard = first.logs().some((l) => l.path === `/deployment/${deployment.id}`);
      const listed = (await first.api('GET', `/deployment?scope_id=${scope.id}`)).json;
      const now = listed.results.find((d: { id: number }) => d.id === deployment.id);
      return heard && now?.status === 'waiting_for_instances' ? now : undefined;
    }, 'the CLI waiting and the rollout waiting for its instances');
    const second = await crashAndRestart(first, 1500);
    servers.push(second);
    const result = await waiting;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/cannot reach Slipway at .*; retrying for up to 60 s/);
    expect(result.stderr).toContain(
      `Slipway answers again; waiting for deployment ${deployment.id}`,
    );
    expect(result.json).toMatchObject({
      status: 'finalized',
      strategy_data: { switched_traffic: 100 },
    });
    // The ROLLOUT job the crash interrupted ran again and took the launch up where it stood.
    const [rollout] = (await second.api('GET', '/api/jobs?type=ROLLOUT')).json._embedded.jobs;
    expect(rollout).toMatchObject({ status: 'COMPLETE', attempt: 1 });
    const log = (await second.api('GET', `/api/jobs/${rollout.id}/logs?sequence=0`)).text;
    expect(log).toContain('the worker running this job stopped (attempt 1); running it again');
    expect(log).toContain(`deployment ${deployment.id}: resuming its launch`);
    const address = (await second.api('GET', `/scope/${scope.id}`)).json.address;
    expect(await (await fetch(address)).text()).toBe('1.0.0');
    repo.cleanup();
  }, 90_000);
});
