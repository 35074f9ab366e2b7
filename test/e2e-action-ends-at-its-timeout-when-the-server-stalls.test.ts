import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from './helpers/action.js';

const WORKSPACE = '6f1c1d9e-2c3b-4f5a-9d8e-7a6b5c4d3e2f';
const JOB = '0b6a4c1e-8f3d-4e2a-b9c7-1d5e3f7a9b0c';

/**
 * A Slipway server that answers until `answers` requests were answered, then accepts
 * connections and never answers again, as a frozen or deadlocked server does.
 */
async function stallingServer(answers: number): Promise<{ url: string; close(): void }> {
  let answered = 0;
  const server = http.createServer((req, res) => {
    if (answered >= answers) return; // held: no answer, ever
    answered++;
    const json = (body: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/workspaces')
      return json({ _embedded: { workspaces: [{ id: WORKSPACE, name: 'shop' }] } });
    if (url.pathname === `/api/workspaces/${WORKSPACE}/deployments`)
      return json({ id: JOB, status: 'QUEUED' }, 201);
    if (url.pathname === `/api/jobs/${JOB}`)
      return json({ id: JOB, type: 'WORKSPACE_DEPLOY', status: 'RUNNING' });
    res.writeHead(204);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('the Action ends at its timeout when the Slipway server stops answering', () => {
  const servers: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  const deploy = (url: string) =>
    runAction({
      command: 'deploy-workspace',
      'server-url': url,
      token: 't0ken-for-a-stalled-server',
      workspace: 'shop',
      timeout: '3',
    });

  it('while it follows a job: says the server stopped answering, and the job goes on', async () => {
    // The workspace, the deploy, one read of the job; then nothing.
    const server = await stallingServer(3);
    servers.push(server);
    const started = Date.now();
    const run = await deploy(server.url);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `::error::Slipway at ${server.url} stopped answering, and the timeout (3 s) passed`,
    );
    expect(run.stdout).toContain(
      `was RUNNING when last read and goes on: ${server.url}/jobs/${JOB}`,
    );
    expect(run.outputs.status).toBe('RUNNING');
  }, 30_000);

  it('before the job was first read: says so, and the job goes on', async () => {
    const server = await stallingServer(2);
    servers.push(server);
    const run = await deploy(server.url);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `::error::Slipway at ${server.url} did not answer within the timeout (3 s); deploy of workspace shop (job ${JOB}) goes on`,
    );
    // The job is known all the same: the outputs and the summary say which, and where.
    expect(run.outputs).toMatchObject({
      'job-id': JOB,
      status: 'QUEUED',
      url: `${server.url}/jobs/${JOB}`,
    });
    expect(run.summary).toContain('deploy of workspace shop: no answer from Slipway (timeout)');
  }, 30_000);

  it('before the job is queued: says which request went unanswered', async () => {
    const server = await stallingServer(0);
    servers.push(server);
    const started = Date.now();
    const run = await deploy(server.url);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `::error::Slipway at ${server.url} did not answer GET /api/workspaces within the timeout`,
    );
  }, 30_000);

  it('says why a server cannot be reached', async () => {
    const refused = await stallingServer(0);
    refused.close();
    const run = await deploy(refused.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`::error::cannot reach Slipway at ${refused.url} \\(.*ECONNREFUSED`),
    );
    const badPort = await deploy('http://127.0.0.1:1');
    expect(badPort.stdout).toContain(
      '::error::cannot reach Slipway at http://127.0.0.1:1 (bad port)',
    );
  });
});
