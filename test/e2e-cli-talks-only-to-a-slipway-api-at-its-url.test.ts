import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway } from './helpers/cli.js';
import { createRepo, manifest } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/** A tiny HTTP server on a free port; resolves with its URL. */
async function listen(
  handler: http.RequestListener,
): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * `SLIPWAY_URL` is the server's address, with a path prefix when a proxy serves it under one,
 * never with a query or fragment; and a success that is not JSON (a web page) is no result.
 */
describe('the slipway CLI talks only to a Slipway API at the URL given', () => {
  let slipwayServer: ServerProcess;
  const others: http.Server[] = [];
  const cleanups: Array<() => void> = [];

  beforeAll(async () => {
    slipwayServer = await startServer();
    await slipwayServer.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: 'https://github.com/acme/shop.git',
    });
  });
  afterAll(async () => {
    await slipwayServer?.stop();
    for (const server of others) server.close();
    for (const cleanup of cleanups) cleanup();
  });

  it('refuses a URL with a query or a fragment, naming it, and sends nothing', async () => {
    for (const url of [
      `${slipwayServer.url}?x=1`,
      `${slipwayServer.url}/#top`,
      `${slipwayServer.url}?`,
    ]) {
      const result = await slipway(['workspace', 'list', '--output', 'table'], {
        env: { SLIPWAY_URL: url, SLIPWAY_TOKEN: slipwayServer.adminToken },
      });
      expect(result.code, url).toBe(2);
      expect(result.stderr, url).toContain(`the server URL "${url}" has "`);
      expect(result.stderr, url).toContain('without a query or fragment');
      expect(result.stdout, url).toBe('');
    }
  });

  it('reaches the server through a proxy that serves it under a path prefix, with or without a trailing slash', async () => {
    const target = new URL(slipwayServer.url);
    const proxy = await listen((req, res) => {
      if (!req.url?.startsWith('/slipway/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
        return;
      }
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url.slice('/slipway'.length),
          headers: { ...req.headers, 'x-forwarded-prefix': '/slipway' },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    others.push(proxy.server);
    for (const url of [`${proxy.url}/slipway`, `${proxy.url}/slipway/`]) {
      const result = await slipway(['workspace', 'list', '--output', 'table'], {
        env: { SLIPWAY_URL: url, SLIPWAY_TOKEN: slipwayServer.adminToken },
      });
      expect(result.code, `${url}\n${result.stderr}`).toBe(0);
      expect(result.stdout.split('\n')[0]).toMatch(/^NAME\s+NAMESPACE/);
      expect(result.stdout).toMatch(/\nshop\s+shop\s+main/);
    }
  });

  it('fails, saying what came back, when a success is not JSON', async () => {
    const page = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Sign in</title><form>...</form>');
    });
    others.push(page.server);
    const result = await slipway(['workspace', 'list', '--output', 'table'], {
      env: { SLIPWAY_URL: page.url, SLIPWAY_TOKEN: 'whatever' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'GET /api/workspaces answered 200 with text/html; charset=utf-8, not JSON: "<!doctype html><title>Sign in',
    );
    expect(result.stderr).toContain(`is ${page.url} the address of a Slipway server?`);
    // A job's log is text, not JSON: a page in its place is no log either, and is not printed
    // again and again as if the log went on.
    const logs = await slipway(['jobs', 'logs', '--id', 'x'], {
      env: { SLIPWAY_URL: page.url, SLIPWAY_TOKEN: 'whatever' },
    });
    expect(logs.code).toBe(1);
    expect(logs.stdout).toBe('');
    expect(logs.stderr).toContain(
      'GET /api/jobs/x/logs answered 200 with text/html; charset=utf-8: "<!doctype html><title>Sign in',
    );
    expect(logs.stderr).toContain('expected a job log with X-Next-Sequence');
  });

  it('sends a job id as one path segment, whatever it holds', async () => {
    const read = await slipway(['jobs', 'read', '--id', '../workspaces'], {
      env: { SLIPWAY_URL: slipwayServer.url, SLIPWAY_TOKEN: slipwayServer.adminToken },
    });
    expect(read.code).toBe(1);
    expect(read.stdout).not.toContain('shop');
    expect(read.stderr).toContain("job '../workspaces' does not exist");
  });

  it('stops quietly when its reader goes away (| head)', async () => {
    const repo = createRepo({
      'tasks/chatty/manifest.json': manifest({
        name: 'chatty',
        type: 'job',
        cmd: ['node', '-e', 'for (let i = 0; i < 20000; i++) console.log("line " + i)'],
      }),
    });
    cleanups.push(() => repo.cleanup());
    const id = (
      await slipwayServer.api('POST', '/api/workspaces', {
        name: 'chatty',
        repositoryUrl: repo.dir,
      })
    ).json.id;
    const job = (await slipwayServer.api('POST', `/api/workspaces/${id}/deployments`)).json.id;
    await waitForJob(slipwayServer, job);
    // Followed, the log is written as it is read; the reader leaves after the first chunk.
    const result = await slipway(['jobs', 'logs', '--id', job, '--follow'], {
      env: { SLIPWAY_URL: slipwayServer.url, SLIPWAY_TOKEN: slipwayServer.adminToken },
      onSpawn: (child) => child.stdout.once('data', () => child.stdout.destroy()),
    });
    expect(result.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(result.code).toBe(0);
  });
});
