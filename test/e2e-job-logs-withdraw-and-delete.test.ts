import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { isAlive } from './helpers/local-runtime/harness.js';
import {
  eventually,
  jobLog,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

describe('job logs, withdraw and delete', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let marker: string;
  let workspaceId: string;

  beforeAll(async () => {
    marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-marker-')), 'runs.txt');
    repo = createRepo({ ...helloJob(), ...slowJob('slow', marker, 60_000) });
    server = await startServer();
    workspaceId = (
      await server.api('POST', '/api/workspaces', { name: 'logs', repositoryUrl: repo.dir })
    ).json.id;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('withdraws a RUNNING deploy: STOPPED at once, and the job process it started is killed', async () => {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const jobId = queued.json.id;
    const pid = await slowJobStarted(marker);
    expect(isAlive(pid)).toBe(true);

    const withdrawn = await server.api('PUT', `/api/jobs/${jobId}/stopped`);
    expect(withdrawn.status).toBe(202);
    expect(withdrawn.json).toMatchObject({
      id: jobId,
      status: 'STOPPED',
      message: 'withdrawn by admin',
    });
    await eventually(
      async () => (isAlive(pid) ? undefined : true),
      'the job process to die',
      10_000,
    );
    expect(readFileSync(marker, 'utf8')).not.toContain('end');
    const log = await jobLog(server, jobId);
    expect(log).toContain('withdrawn by admin');
    const final = await waitForJob(server, jobId);
    expect(final.status).toBe('STOPPED');
    // The server's log says how the job ended, as it said how it started.
    await eventually(
      async () =>
        server
          .logs()
          .find(
            (l) =>
              l.msg === 'job stopped' && l.jobId === jobId && l.reason === 'withdrawn by admin',
          ),
      'the server log to say the job stopped',
    );

    const again = await server.api('PUT', `/api/jobs/${jobId}/stopped`);
    expect(again.status).toBe(409);
    expect(again.json.message).toContain('only QUEUED or RUNNING jobs can be withdrawn');
  });

  it('withdraws a QUEUED job behind a running one of the same workspace', async () => {
    const running = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    await waitForJob(server, running.json.id, ['RUNNING']);
    const queued = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?plan=false`,
    );
    expect((await server.api('GET', `/api/jobs/${queued.json.id}`)).json.status).toBe('QUEUED');
    // A newer deploy supersedes the queued one; the newest stays queued behind the running one.
    const newer = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const superseded = await server.api('GET', `/api/jobs/${queued.json.id}`);
    expect(superseded.json).toMatchObject({
      status: 'STOPPED',
      message: `superseded by job ${newer.json.id}`,
    });
    expect((await server.api('GET', `/api/jobs/${newer.json.id}`)).json.status).toBe('QUEUED');
    const withdrawn = await server.api('PUT', `/api/jobs/${newer.json.id}/stopped`);
    expect(withdrawn.json.status).toBe('STOPPED');
    expect((await server.api('DELETE', `/api/jobs/${running.json.id}`)).status).toBe(204);
    expect((await server.api('GET', `/api/jobs/${running.json.id}`)).status).toBe(404);
    expect((await server.api('GET', `/api/jobs/${running.json.id}/logs`)).status).toBe(404);
  });

  it('serves logs from a sequence as text, NDJSON, and 204 past the end', async () => {
    repo.commit({ 'tasks/slow': null });
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status).toBe('COMPLETE');

    const text = await server.api('GET', `/api/jobs/${done.id}/logs?sequence=0`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = text.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/WORKSPACE_DEPLOY started/);
    expect(Number(text.headers.get('x-next-sequence'))).toBe(lines.length);

    const ndjson = await server.api('GET', `/api/jobs/${done.id}/logs?sequence=2`, undefined, {
      accept: 'application/x-ndjson',
    });
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const records = ndjson.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ sequence: 2, line: lines[2] });
    expect(
      records.every(
        (r: { sequence: number; time: string }, i: number) =>
          r.sequence === i + 2 && !Number.isNaN(Date.parse(r.time)),
      ),
    ).toBe(true);

    const stream = await server.api(
      'GET',
      `/api/jobs/${done.id}/logs?sequence=1&limit=1`,
      undefined,
      {
        accept: 'application/stream+json',
      },
    );
    expect(JSON.parse(stream.text)).toMatchObject({ sequence: 1 });

    const past = await server.api('GET', `/api/jobs/${done.id}/logs?sequence=${lines.length}`);
    expect(past.status).toBe(204);
    expect(past.text).toBe('');

    const deleted = await server.api('DELETE', `/api/jobs/${done.id}`);
    expect(deleted.status).toBe(204);
    expect((await server.api('GET', `/api/jobs/${done.id}`)).status).toBe(404);
  });

  it('holds a log request with wait until the next line comes, and not past the job end', async () => {
    // A job that says one, then two 0.8 s on, then three 0.8 s later.
    const script =
      "console.log('one'); setTimeout(() => console.log('two'), 800); setTimeout(() => console.log('three'), 1600);";
    const ticking = createRepo({
      'tasks/tick/manifest.json': manifest({
        name: 'tick',
        type: 'job',
        cmd: ['node', '-e', script],
      }),
    });
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'ticking',
      repositoryUrl: ticking.dir,
    });
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const id = queued.json.id;
    const next = await eventually(async () => {
      const read = await server.api('GET', `/api/jobs/${id}/logs?sequence=0`);
      return read.text.includes('[tick] one') ? read.headers.get('x-next-sequence') : undefined;
    }, 'the tick job to say one');

    // Nothing is there yet: the server answers once the job writes its next line.
    const held = await server.api('GET', `/api/jobs/${id}/logs?sequence=${next}&wait=30`);
    expect(held.status).toBe(200);
    expect(held.text.split('\n')[0]).toBe('[tick] two');
    // The dashboard's job page asks the same way, with its session cookie.
    const state = await request(
      `${server.url}/dashboard/jobs/${id}/state?sequence=${held.headers.get('x-next-sequence')}&wait=30`,
      'GET',
      undefined,
      { cookie: `slipway_session=${server.adminToken}` },
    );
    expect(state.status).toBe(200);
    expect(state.json.lines[0]).toBe('[tick] three');

    const done = await waitForJob(server, id);
    expect(done.status).toBe('COMPLETE');
    const end = (await server.api('GET', `/api/jobs/${id}/logs?sequence=0`)).headers.get(
      'x-next-sequence',
    );
    // A job that ended writes no more: 204 at once, not after 30 s.
    const past = await server.api('GET', `/api/jobs/${id}/logs?sequence=${end}&wait=30`);
    expect(past.status).toBe(204);

    const tooLong = await server.api('GET', `/api/jobs/${id}/logs?sequence=0&wait=31`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.message).toContain('wait');
    ticking.cleanup();
  }, 15_000);
});
