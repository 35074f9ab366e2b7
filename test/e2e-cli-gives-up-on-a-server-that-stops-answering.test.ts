import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { eventually, type ServerProcess, startServer } from './helpers/server.js';

const sleeper = JSON.stringify({
  name: 'sleeper',
  type: 'job',
  cmd: ['node', '-e', "console.log('asleep'); setTimeout(() => {}, 120000)"],
});

/** `slipway` with its stderr readable as it comes; killed should it outlive `boundMs`. */
function watched(args: string[], env: Record<string, string>, boundMs: number) {
  let child: ChildProcessWithoutNullStreams | undefined;
  let stderr = '';
  let stdout = '';
  const started = Date.now();
  const result = slipway(args, {
    env,
    onSpawn(spawned) {
      child = spawned;
      spawned.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      spawned.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
    },
  });
  const bound = setTimeout(() => child?.kill('SIGKILL'), boundMs);
  return {
    stderr: () => stderr,
    stdout: () => stdout,
    done: result.then((r): CliResult & { ms: number } => {
      clearTimeout(bound);
      return { ...r, ms: Date.now() - started };
    }),
  };
}

/**
 * Every request has a time limit: a server that stops answering (stopped with SIGSTOP; its port
 * still accepts connections) is an outage the CLI says it rides out, and never holds a wait
 * past --timeout.
 */
describe('the slipway CLI gives up on a server that stops answering', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;
  let silent: http.Server;

  /** The deploy the second test leaves running (its task sleeps two minutes). */
  let running: string | undefined;

  beforeAll(async () => {
    repo = createRepo({ 'tasks/sleeper/manifest.json': sleeper });
    server = await startServer();
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    await server.api('POST', '/api/workspaces', { name: 'demo', repositoryUrl: repo.dir });
    silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server?.child.kill('SIGCONT');
    await server?.stop();
    repo?.cleanup();
    silent?.close();
    silent?.closeAllConnections();
  });

  it('a request that goes unanswered fails as an unreachable server (exit 3), naming its limit', async () => {
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const run = watched(
      ['workspace', 'list'],
      { SLIPWAY_URL: url, SLIPWAY_TOKEN: 'x', SLIPWAY_REQUEST_TIMEOUT: '2' },
      60_000,
    );
    const result = await run.done;
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(
      `slipway: Slipway at ${url} did not answer GET /api/workspaces within 2 s`,
    );
    expect(result.ms).toBeLessThan(30_000);
  }, 90_000);

  it('deploy --wait --timeout 5 exits 1 at the timeout though a request hangs', async () => {
    const run = watched(['workspace', 'deploy', 'demo', '--wait', '--timeout', '5'], env, 90_000);
    const jobId = await eventually(
      () => /deploy of workspace demo: job (\S+)/.exec(run.stderr())?.[1],
      'the deploy to be queued',
      30_000,
    );
    await eventually(
      async () =>
        (await server.api('GET', `/api/jobs/${jobId}`)).json.status === 'RUNNING' || undefined,
      'the deploy to run',
      30_000,
    );
    running = jobId;
    server.child.kill('SIGSTOP');
    try {
      const result = await run.done;
      expect(result.code, result.stderr).toBe(1);
      // 5 s, with room for a slow start; a request left hanging would take until SIGKILL.
      expect(result.ms).toBeLessThan(40_000);
      expect(result.stderr).toContain(
        `job ${jobId} is still RUNNING after 5 s; it goes on on the server ("slipway jobs withdraw --id ${jobId}" stops it)`,
      );
    } finally {
      server.child.kill('SIGCONT');
    }
  }, 120_000);

  it('jobs logs --follow says it retries once a request times out, and goes on when the server answers again', async () => {
    const jobId = running as string;
    expect(jobId).toBeDefined();
    const run = watched(
      ['jobs', 'logs', '--id', jobId, '--follow'],
      { ...env, SLIPWAY_REQUEST_TIMEOUT: '2' },
      120_000,
    );
    // Stopped once the log so far is out: the follower is holding a request for more.
    await eventually(() => (run.stdout().includes('asleep') ? true : undefined), 'the log', 30_000);
    server.child.kill('SIGSTOP');
    try {
      await eventually(
        () =>
          new RegExp(
            `Slipway at ${server.url} did not answer GET \\S+ within \\d+ s; retrying for up to 60 s`,
          ).test(run.stderr()) || undefined,
        'the CLI to say it retries',
        60_000,
      );
    } finally {
      server.child.kill('SIGCONT');
    }
    await server.api('PUT', `/api/jobs/${jobId}/stopped`);
    const result = await run.done;
    expect(result.stderr).toContain(`Slipway answers again; following job ${jobId}`);
    expect(result.stdout).toContain('[sleeper] asleep');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`job ${jobId} ended STOPPED`);
  }, 150_000);
});
