import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { eventually, type ServerProcess, startServer } from './helpers/server.js';

const sleeper = JSON.stringify({
  name: 'sleeper',
  type: 'job',
  cmd: ['node', '-e', "console.log('asleep'); setTimeout(() => {}, 120000)"],
});

/**
 * Ctrl-C stops the waiting, not the deploy: the CLI says the job goes on and how to stop it,
 * and exits 130 as a shell does for an interrupted command.
 */
describe('Ctrl-C while the slipway CLI waits', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;

  beforeAll(async () => {
    repo = createRepo({ 'tasks/sleeper/manifest.json': sleeper });
    server = await startServer();
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    await server.api('POST', '/api/workspaces', { name: 'demo', repositoryUrl: repo.dir });
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('workspace deploy --wait exits 130 saying the job goes on, and it does', async () => {
    let stdout = '';
    let interrupt = () => {};
    const waiting = slipway(['workspace', 'deploy', 'demo', '--wait'], {
      env,
      onSpawn(child) {
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        interrupt = () => child.kill('SIGINT');
      },
    });
    await eventually(
      () => (stdout.includes('[sleeper] asleep') ? true : undefined),
      'the log',
      30_000,
    );
    interrupt();
    const result = await waiting;
    expect(result.code, result.stderr).toBe(130);
    const jobId = /deploy of workspace demo: job (\S+)/.exec(result.stderr)?.[1];
    expect(result.stderr).toContain(
      `slipway: interrupted; job ${jobId} is still RUNNING; it goes on on the server ("slipway jobs withdraw --id ${jobId}" stops it)`,
    );
    expect((await server.api('GET', `/api/jobs/${jobId}`)).json.status).toBe('RUNNING');
    await server.api('PUT', `/api/jobs/${jobId}/stopped`);
  });
});
