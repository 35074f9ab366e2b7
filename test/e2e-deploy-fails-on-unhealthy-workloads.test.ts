import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceTask } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { freePort } from './helpers/ports.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe('a deploy whose workloads do not become healthy', () => {
  let server: ServerProcess;
  const repos: TestRepo[] = [];

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    for (const repo of repos) repo.cleanup();
  });

  async function deploy(files: Record<string, string>, timeoutSeconds = 60) {
    const repo = createRepo(files);
    repos.push(repo);
    const ws = await server.api('POST', '/api/workspaces', {
      name: `ws-${repos.length}`,
      repositoryUrl: repo.dir,
      timeoutSeconds,
    });
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const done = await waitForJob(server, queued.json.id, undefined, 60_000);
    return { ws: ws.json, done, log: await jobLog(server, queued.json.id) };
  }

  it('ends ERROR when a job fails, naming it, the reason and its last lines', async () => {
    const { ws, done, log } = await deploy({
      'tasks/broken/manifest.json': manifest({
        name: 'broken',
        type: 'job',
        cmd: [
          'node',
          '-e',
          'console.log("loading data"); console.error("table missing"); process.exit(4)',
        ],
      }),
    });
    expect(done.status).toBe('ERROR');
    expect(done.exitCode).toBe(1);
    expect(done.message).toContain("job 'broken' failed: exited with code 4");
    expect(done.message).toContain('table missing');
    expect(done.result.lastLines).toEqual(['loading data', 'table missing']);
    expect(log).toContain('[broken] table missing');
    expect((await server.api('GET', `/api/workspaces/${ws.id}`)).json.status).toBe('FAILED');
  });

  it('ends ERROR when a deployment crash-loops, without waiting for the timeout', async () => {
    const { done } = await deploy({
      'tasks/crasher/manifest.json': manifest({
        name: 'crasher',
        type: 'deployment',
        cmd: ['node', '-e', 'process.exit(1)'],
      }),
    });
    expect(done.status).toBe('ERROR');
    expect(done.message).toMatch(
      /deployment 'crasher' failed: CrashLoopBackOff: exited with code 1/,
    );
  });

  it('quotes the last lines of a crash-looping deployment on a redeploy that leaves it unchanged', async () => {
    const crasher = manifest({
      name: 'crasher',
      type: 'deployment',
      cmd: ['node', '-e', 'console.error("boom: no config"); process.exit(1)'],
    });
    const first = await deploy({ 'tasks/crasher/manifest.json': crasher });
    expect(first.done.message).toContain('boom: no config');
    // Another commit that does not touch it: the deployment is unchanged, and still failing.
    const repo = repos.at(-1) as TestRepo;
    repo.commit({ 'README.md': 'a note\n' });
    const again = await server.api('POST', `/api/workspaces/${first.ws.id}/deployments`);
    const done = await waitForJob(server, again.json.id, undefined, 60_000);
    expect(done.status).toBe('ERROR');
    expect(await jobLog(server, again.json.id)).not.toMatch(
      /deployment 'crasher' (created|changed)/,
    );
    expect(done.message).toMatch(
      /deployment 'crasher' failed: CrashLoopBackOff: exited with code 1/,
    );
    expect(done.message).toContain('\nlast lines:\n');
    expect(done.message).toContain('boom: no config');
  });

  it('ends ERROR after the workspace timeout when a service never passes /health', async () => {
    const port = await freePort();
    const started = Date.now();
    const { done, log } = await deploy(
      serviceTask(
        'sick',
        port,
        `console.error('waiting for the database at db:5432'); require('node:http').createServer((req, res) => { res.statusCode = req.url === '/health' ? 500 : 200; res.end(); }).listen(${port}, '127.0.0.1');`,
      ),
      3,
    );
    expect(done.status).toBe('ERROR');
    expect(done.message).toBe(
      "not healthy after 3 s: service 'sick' progressing: health check answered 500\nlast lines of service 'sick':\nwaiting for the database at db:5432",
    );
    expect(done.result.lastLines).toEqual(['waiting for the database at db:5432']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(log).toContain("service 'sick' progressing: health check answered 500");
    // A 500 is the service's own answer: no hint guesses at it.
    expect(log).not.toContain('hint:');
  });

  it.each([
    [
      'has no /health route',
      (port: number) =>
        `require('node:http').createServer((req, res) => { res.statusCode = 404; res.end(); }).listen(${port}, '127.0.0.1');`,
      "hint: service 'lost' has no health route: a service answers GET /health with 2xx or 3xx on the port in $PORT",
    ],
    [
      'listens on another port than $PORT',
      (port: number) =>
        `require('node:http').createServer((req, res) => res.end()).listen(${port + 1}, '127.0.0.1');`,
      "hint: service 'lost' does not listen where it is asked: a service listens on the port in $PORT (its container-port)",
    ],
  ])('says what to do when a service %s', async (_what, server, hint) => {
    const port = await freePort();
    const { done, log } = await deploy(serviceTask('lost', port, server(port)), 2);
    expect(done.status).toBe('ERROR');
    expect(log).toContain(hint);
  });
});
