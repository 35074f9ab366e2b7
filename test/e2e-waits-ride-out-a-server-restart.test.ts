import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slowJob, slowJobStarted } from './fixtures/tasks.js';
import { runAction } from './helpers/action.js';
import { slipway } from './helpers/cli.js';
import { createRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

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
        await first.kill();
        // The port stays closed for a moment: the client meets refused connections.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const second = await startServer({
          dataDir: first.dataDir,
          env: { PORT: new URL(first.url).port },
        });
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
});
