import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from './helpers/action.js';

const WORKSPACE = '6f1c1d9e-2c3b-4f5a-9d8e-7a6b5c4d3e2f';
const JOB = '0b6a4c1e-8f3d-4e2a-b9c7-1d5e3f7a9b0c';
const PAGE = '<!doctype html><title>Sign in</title><form>...</form>';

/**
 * What stands at a wrong `server-url`: a proxy's sign-in page or a web app answers every path
 * with 200 and HTML (`answer` says which paths get Slipway's JSON instead).
 */
async function notSlipway(
  answer: (path: string) => { status: number; body: unknown } | undefined,
): Promise<{ url: string; requests: () => number; close(): void }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const json = answer(new URL(req.url ?? '/', 'http://x').pathname);
    if (json) {
      res.writeHead(json.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Slipway's answers to finding the workspace, queueing its deploy and reading the job. */
const slipwayUntilLogs = (path: string) => {
  if (path === `/api/workspaces/${WORKSPACE}`)
    return { status: 200, body: { id: WORKSPACE, name: 'shop' } };
  if (path === `/api/workspaces/${WORKSPACE}/deployments`)
    return { status: 202, body: { id: JOB, status: 'QUEUED' } };
  if (path === `/api/jobs/${JOB}`)
    return { status: 200, body: { id: JOB, type: 'WORKSPACE_DEPLOY', status: 'RUNNING' } };
  return undefined;
};

describe('the Action fails at once, saying why, at a server-url where no Slipway answers', () => {
  const servers: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  const deploy = (url: string) =>
    runAction({
      command: 'deploy-workspace',
      'server-url': url,
      token: 't0ken-for-another-server',
      workspace: WORKSPACE,
      timeout: '60',
    });

  it('when a success is a web page instead of JSON', async () => {
    const server = await notSlipway(() => undefined);
    servers.push(server);
    const run = await deploy(server.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error::GET /api/workspaces/${WORKSPACE} answered 200 with text/html; charset=utf-8, not JSON: "<!doctype html><title>Sign in`,
    );
    expect(run.stdout).toContain(`is ${server.url} the address of a Slipway server?`);
    expect(server.requests()).toBe(1);
  });

  it("when the job's log is a web page: not printed again and again as if the log went on", async () => {
    const server = await notSlipway(slipwayUntilLogs);
    servers.push(server);
    const started = Date.now();
    const run = await deploy(server.url);
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.stdout).toContain(
      `::error::GET /api/jobs/${JOB}/logs answered 200 with text/html; charset=utf-8: "<!doctype html>`,
    );
    expect(run.stdout).toContain('expected a job log with X-Next-Sequence');
    expect(run.stdout.split('<!doctype html>').length).toBeLessThanOrEqual(3);
    // The step knew its job: it still says which.
    expect(run.outputs['job-id']).toBe(JOB);
    expect(run.outputs.url).toBe(`${server.url}/jobs/${JOB}`);
  });

  it('when the deploy is answered with JSON that holds no job', async () => {
    const server = await notSlipway((path) =>
      path === `/api/workspaces/${WORKSPACE}/deployments`
        ? { status: 202, body: { ok: true } }
        : slipwayUntilLogs(path),
    );
    servers.push(server);
    const run = await deploy(server.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error::deploy of workspace shop: the server answered no job id; is ${server.url} the address of a Slipway server?`,
    );
  });
});
