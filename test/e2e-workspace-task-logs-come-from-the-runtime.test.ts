import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob, serviceTask } from './fixtures/tasks.js';
import { slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { freePort } from './helpers/ports.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/** A service that says `tick <n>` every 50 ms, from its start. */
const ticking = `
const http = require('node:http');
let n = 0;
setInterval(() => console.log('tick ' + n++), 50);
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe("a workspace task's logs, read from the runtime while it runs", () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let logsOf: (task: string, query?: string) => string;

  beforeAll(async () => {
    repo = createRepo({ ...helloJob('hello'), ...serviceTask('web', await freePort(), ticking) });
    server = await startServer();
    const created = await server.api('POST', '/api/workspaces', {
      name: 'Ticks',
      repositoryUrl: repo.dir,
    });
    const deploy = await server.api('POST', `/api/workspaces/${created.json.id}/deployments`);
    expect((await waitForJob(server, deploy.json.id)).status).toBe('COMPLETE');
    logsOf = (task, query = '') =>
      `${server.url}/api/workspaces/${created.json.id}/tasks/${task}/logs${query}`;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });

  it('answers what the task wrote so far, and ends', async () => {
    // The deploy ends once the service answers /health, which may be before its first tick.
    const now = await eventually(async () => {
      const answer = await server.api('GET', logsOf('web').slice(server.url.length));
      return answer.status !== 200 || answer.text.length > 0 ? answer : undefined;
    }, 'the service to write its first tick');
    expect(now.status).toBe(200);
    expect(now.headers.get('content-type')).toMatch(/^text\/plain/);
    const ticks = now.text.trim().split('\n');
    expect(ticks[0]).toBe('tick 0');
    expect(ticks.every((line, i) => line === `tick ${i}`)).toBe(true);
    const prefixed = await server.api(
      'GET',
      logsOf('web', '?prefix=true').slice(server.url.length),
    );
    expect(prefixed.text.split('\n')[0]).toMatch(/^\[web-[\w-]+\] tick 0$/);
    const job = await server.api('GET', logsOf('hello', '?follow=true').slice(server.url.length));
    // A job's run has ended: following it ends too.
    expect(job.text).toBe('hello from slipway\n');
  });

  it('follows the task as it writes, until the client goes away', async () => {
    const had = (await server.api('GET', logsOf('web').slice(server.url.length))).text;
    const stop = new AbortController();
    const response = await fetch(logsOf('web', '?follow=true'), {
      headers: auth(),
      signal: stop.signal,
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    // Lines keep coming after the answer began: five more than there were a moment before.
    while (text.split('\n').length < had.split('\n').length + 5) {
      const { value, done } = await reader.read();
      expect(done, text).toBe(false);
      text += decoder.decode(value, { stream: true });
    }
    const seen = text.trim().split('\n');
    expect(seen.every((line, i) => line === `tick ${i}`)).toBe(true);
    stop.abort();
    // The server is fine afterwards, and still serves the task.
    expect((await server.api('GET', '/healthz')).status).toBe(200);
  });

  it('says which tasks there are when the one asked for is not, and wants an identity', async () => {
    const missing = await server.api('GET', logsOf('nope').slice(server.url.length));
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe(
      "workspace 'Ticks' has no task 'nope' running; its tasks are 'hello', 'web'",
    );
    const bad = await server.api('GET', logsOf('web', '?follow=yes').slice(server.url.length));
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('query "follow" is "yes"; expected true or false');
    expect((await request(logsOf('web'), 'GET')).status).toBe(401);
  });

  it('prints them with the CLI, and follows them until Ctrl-C', async () => {
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    const job = await slipway(['workspace', 'logs', '--id', 'Ticks', '--task', 'hello'], { env });
    expect(job.code, job.stderr).toBe(0);
    expect(job.stdout).toBe('hello from slipway\n');

    let lines = 0;
    const followed = await slipway(
      ['workspace', 'logs', '--id', 'Ticks', '--task', 'web', '--follow', '--prefix'],
      {
        env,
        onSpawn: (child) =>
          child.stdout.on('data', (chunk: Buffer) => {
            lines += chunk.toString().split('\n').length - 1;
            if (lines >= 30) child.kill('SIGINT');
          }),
      },
    );
    expect(followed.stdout.split('\n')[0]).toMatch(/^\[web-[\w-]+\] tick 0$/);
    expect(followed.stdout.split('\n').length).toBeGreaterThan(30);

    const missing = await slipway(['workspace', 'logs', '--id', 'Ticks'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--task is missing');
  });
});
