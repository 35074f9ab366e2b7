import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('the Matatika surface (seed 000) over HTTP', () => {
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = createRepo(helloJob());
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('answers a deployment with 202 and the seed job, field for field, with absolute HAL links', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'seed',
      repositoryUrl: repo.dir,
    });
    const response = await server.api(
      'POST',
      `/api/workspaces/${ws.json.id}/deployments`,
      undefined,
      {
        accept: 'application/json, application/javascript, text/javascript, text/json',
        'content-type': 'application/json',
      },
    );
    expect(response.status).toBe(202);
    const job = response.json;
    expect(Object.keys(job)).toEqual([
      'id',
      'created',
      'type',
      'maxAttempts',
      'attempt',
      'status',
      '_links',
    ]);
    expect(job.id).toMatch(UUID);
    expect(job.created).toMatch(ISO);
    expect(job).toMatchObject({ type: 'WORKSPACE_DEPLOY', attempt: 0, status: 'QUEUED' });
    expect(typeof job.maxAttempts).toBe('number');
    const self = `${server.url}/api/jobs/${job.id}`;
    // The seed's links in the seed's order, then the workspace the job deploys.
    expect(job._links).toEqual({
      self: { href: self },
      'delete job': { href: self, type: 'DELETE' },
      logs: { href: `${self}/logs?sequence=0`, type: 'GET' },
      'withdraw job': { href: `${self}/stopped`, type: 'PUT' },
      workspace: { href: `${server.url}/api/workspaces/${ws.json.id}`, type: 'GET' },
    });
    expect(Object.keys(job._links).slice(0, 4)).toEqual([
      'self',
      'delete job',
      'logs',
      'withdraw job',
    ]);
    const done = await waitForJob(server, job.id);
    expect(done.status).toBe('COMPLETE');
    expect(done._links['withdraw job']).toBeUndefined();
    expect(done).toMatchObject({ exitCode: 0, commitId: repo.head() });
    expect(done.startTime).toMatch(ISO);
    expect(done.endTime).toMatch(ISO);
  });

  it('builds links from X-Forwarded-* only when a trusted peer sends them', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'forwarded',
      repositoryUrl: repo.dir,
    });
    const response = await server.api('GET', `/api/workspaces/${ws.json.id}`, undefined, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'catalog.example.com',
    });
    expect(response.json._links.self.href).toBe(
      `https://catalog.example.com/api/workspaces/${ws.json.id}`,
    );
    // Behind a proxy that serves Slipway under a path and on a port of its own.
    const prefixed = await server.api('GET', `/api/workspaces/${ws.json.id}`, undefined, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'tools.example.com',
      'x-forwarded-port': '8443',
      'x-forwarded-prefix': '/slipway/',
    });
    expect(prefixed.json._links.self.href).toBe(
      `https://tools.example.com:8443/slipway/api/workspaces/${ws.json.id}`,
    );
    // Port 80 is only http's own: https on port 80 keeps it in its links.
    const https80 = await server.api('GET', `/api/workspaces/${ws.json.id}`, undefined, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'tools.example.com',
      'x-forwarded-port': '80',
    });
    expect(https80.json._links.self.href).toBe(
      `https://tools.example.com:80/api/workspaces/${ws.json.id}`,
    );
    // A prefix that is not a plain path is not taken.
    const odd = await server.api('GET', `/api/workspaces/${ws.json.id}`, undefined, {
      'x-forwarded-prefix': '//evil.example.com',
    });
    expect(odd.json._links.self.href).toBe(`${server.url}/api/workspaces/${ws.json.id}`);
  });

  it('creates, reads, lists (paged and sorted), updates and deletes workspaces', async () => {
    const names = ['alpha', 'bravo', 'charlie'];
    const ids: string[] = [];
    for (const name of names) {
      const created = await server.api('POST', '/api/workspaces', {
        name: `crud-${name}`,
        repositoryUrl: repo.dir,
        branch: 'main',
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(
        `${server.url}/api/workspaces/${created.json.id}`,
      );
      expect(created.json.deploymentSecret).toMatch(/^[A-Za-z0-9_-]{32}$/);
      ids.push(created.json.id);
    }
    const page = await server.api('GET', '/api/workspaces?page=0&size=2&sort=name,desc');
    expect(page.status).toBe(200);
    expect(page.json.page).toMatchObject({ size: 2, number: 0 });
    expect(page.json.page.totalElements).toBeGreaterThanOrEqual(3);
    const listed = page.json._embedded.workspaces.map((w: { name: string }) => w.name);
    expect(listed).toEqual([...listed].sort().reverse());
    // The links keep the sort: following `next` continues the same list.
    const lastPage = page.json.page.totalPages - 1;
    expect(page.json._links).toEqual({
      self: { href: `${server.url}/api/workspaces?page=0&size=2&sort=name%2Cdesc` },
      next: { href: `${server.url}/api/workspaces?page=1&size=2&sort=name%2Cdesc` },
      last: { href: `${server.url}/api/workspaces?page=${lastPage}&size=2&sort=name%2Cdesc` },
    });
    const next = await server.api('GET', page.json._links.next.href.slice(server.url.length));
    expect(next.json._links.prev.href).toBe(page.json._links.self.href);
    expect(next.json._links.first.href).toBe(page.json._links.self.href);
    const nextNames = next.json._embedded.workspaces.map((w: { name: string }) => w.name);
    expect(nextNames[0] < (listed.at(-1) ?? '')).toBe(true);

    const updated = await server.api('PUT', `/api/workspaces/${ids[0]}`, {
      branch: 'release',
      namespace: 'crud-ns',
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      name: 'crud-alpha',
      branch: 'release',
      namespace: 'crud-ns',
    });
    const read = await server.api('GET', `/api/workspaces/${ids[0]}`);
    expect(read.json.branch).toBe('release');

    expect((await server.api('DELETE', `/api/workspaces/${ids[1]}`)).status).toBe(204);
    const gone = await server.api('GET', `/api/workspaces/${ids[1]}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({
      status: 404,
      error: 'Not Found',
      path: `/api/workspaces/${ids[1]}`,
    });
    expect(gone.json.message).toContain(ids[1]);
    expect(gone.json.timestamp).toMatch(ISO);
  });

  it('refuses bad bodies and parameters with a 400 naming the field, the value and what is expected, storing nothing', async () => {
    const before = (await server.api('GET', '/api/workspaces?size=1000')).json.page.totalElements;
    const cases: Array<[unknown, RegExp]> = [
      [{}, /"name" is missing/],
      [{ name: 'x' }, /"repositoryUrl" is missing/],
      [{ name: 42, repositoryUrl: repo.dir }, /"name" is 42; expected a string/],
      [
        { name: 'x', repositoryUrl: repo.dir, branch: 'a b' },
        /"branch" is "a b"; expected a git branch name/,
      ],
      [
        { name: 'x', repositoryUrl: repo.dir, namespace: 'Bad_NS' },
        /"namespace" is "Bad_NS"; expected lowercase/,
      ],
      [
        { name: 'x', repositoryUrl: '--upload-pack=evil' },
        /"repositoryUrl" is "--upload-pack=evil"/,
      ],
      [{ name: 'x', repositoryUrl: repo.dir, colour: 'blue' }, /unknown field "colour"/],
      [
        { name: 'x', repositoryUrl: repo.dir, timeoutSeconds: -1 },
        /"timeoutSeconds" is -1; expected at least 1/,
      ],
      [[1, 2], /expected a JSON object/],
      [
        { name: 'x', repositoryUrl: repo.dir, previews: 'yes' },
        /"previews" is "yes"; expected true or false/,
      ],
      // This server runs without the GitHub App, whose pull request events make previews.
      [
        { name: 'x', repositoryUrl: repo.dir, previews: true },
        /"previews" is true; expected false on this server: pull request previews are made on the GitHub App's pull request events, and the App is off/,
      ],
    ];
    for (const [body, message] of cases) {
      const response = await server.api('POST', '/api/workspaces', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json.error).toBe('Bad Request');
      expect(response.json.message).toMatch(message);
    }
    const broken = await server.api('POST', '/api/workspaces', '{"name":', {
      'content-type': 'application/json',
    });
    expect(broken.status).toBe(400);
    expect(broken.json.message).toMatch(/not valid JSON/);
    const twice = await server.api(
      'POST',
      '/api/workspaces',
      '{"name":"twice","repositoryUrl":"/tmp/a","repositoryUrl":"/tmp/b"}',
      { 'content-type': 'application/json' },
    );
    expect(twice.status).toBe(400);
    expect(twice.json.message).toBe(
      'request body is invalid: key "repositoryUrl" appears again (first at line 1); expected each key once',
    );
    for (const query of ['page=-1', 'size=0', 'size=abc', 'sort=secret', 'sort=name,sideways']) {
      const response = await server.api('GET', `/api/workspaces?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.json.message).toMatch(/query "(page|size|sort)"/);
    }
    const jobs = await server.api('GET', '/api/jobs?status=DONE');
    expect(jobs.status).toBe(400);
    expect(jobs.json.message).toContain(
      'expected one of QUEUED, RUNNING, COMPLETE, ERROR, STOPPED',
    );
    const logs = await server.api(
      'GET',
      '/api/jobs/00000000-0000-4000-8000-000000000000/logs?sequence=x',
    );
    expect(logs.status).toBe(400);
    const after = (await server.api('GET', '/api/workspaces?size=1000')).json.page.totalElements;
    expect(after).toBe(before);

    // A bad update changes nothing either.
    const target = await server.api('POST', '/api/workspaces', {
      name: 'put-target',
      repositoryUrl: repo.dir,
    });
    await server.api('POST', '/api/workspaces', { name: 'put-other', repositoryUrl: repo.dir });
    const updates: Array<[unknown, number, RegExp]> = [
      [{ branch: '' }, 400, /"branch" is ""; expected a branch name/],
      [{ namespace: 'UPPER' }, 400, /"namespace" is "UPPER"/],
      [{ owner: 'me' }, 400, /unknown field "owner"/],
      [{ name: 'put-other' }, 409, /'put-other' is already taken/],
    ];
    for (const [body, status, message] of updates) {
      const response = await server.api('PUT', `/api/workspaces/${target.json.id}`, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.json.message).toMatch(message);
    }
    // Sending back what GET returned (read-only fields included) is a valid update.
    const roundTrip = await server.api('PUT', `/api/workspaces/${target.json.id}`, target.json);
    expect(roundTrip.status).toBe(200);
    const unchanged = await server.api('GET', `/api/workspaces/${target.json.id}`);
    expect(unchanged.json).toMatchObject({
      name: 'put-target',
      branch: 'main',
      namespace: 'put-target',
    });

    // A misspelt query parameter is refused, not dropped: a plan asked for as ?dry_run=true
    // would otherwise deploy for real, a rollback as ?comit= deploy the branch head.
    const jobsBefore = (await server.api('GET', `/api/workspaces/${target.json.id}/jobs`)).json.page
      .totalElements;
    const dryRun = await server.api(
      'POST',
      `/api/workspaces/${target.json.id}/deployments?dry_run=true`,
    );
    expect(dryRun.status).toBe(400);
    expect(dryRun.json.message).toBe(
      `query parameter "dry_run" is not taken by POST /api/workspaces/${target.json.id}/deployments; expected only "plan", "commit", "force"`,
    );
    const twoTypos = await server.api('PUT', `/api/workspaces/${target.json.id}?a=1&b=2`, {});
    expect(twoTypos.status).toBe(400);
    expect(twoTypos.json.message).toBe(
      `query parameters "a", "b" are not taken by PUT /api/workspaces/${target.json.id}; expected none`,
    );
    expect(
      (await server.api('GET', `/api/workspaces/${target.json.id}/jobs`)).json.page.totalElements,
    ).toBe(jobsBefore);
  });

  it('answers a duplicate workspace name with 409, unknown ids with 404 and unknown routes with 404', async () => {
    await server.api('POST', '/api/workspaces', { name: 'dup', repositoryUrl: repo.dir });
    const dup = await server.api('POST', '/api/workspaces', {
      name: 'dup',
      repositoryUrl: repo.dir,
    });
    expect(dup.status).toBe(409);
    expect(dup.json.message).toContain('dup');
    for (const path of [
      '/api/jobs/nope',
      '/api/workspaces/nope',
      '/api/workspaces/nope/jobs',
      '/api/nothing-here',
    ]) {
      const response = await server.api('GET', path);
      expect(response.status, path).toBe(404);
      expect(response.json.status).toBe(404);
    }
    expect((await server.api('POST', '/api/workspaces/nope/deployments')).status).toBe(404);
  });

  it('refuses every route without a valid credential, in the Spring error shape', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/api/workspaces'],
      ['POST', '/api/workspaces'],
      ['GET', '/api/workspaces/x'],
      ['PUT', '/api/workspaces/x'],
      ['DELETE', '/api/workspaces/x'],
      ['POST', '/api/workspaces/x/deployments'],
      ['GET', '/api/workspaces/x/jobs'],
      ['GET', '/api/jobs'],
      ['GET', '/api/jobs/x'],
      ['DELETE', '/api/jobs/x'],
      ['PUT', '/api/jobs/x/stopped'],
      ['GET', '/api/jobs/x/logs'],
    ];
    for (const [method, path] of routes) {
      const none = await request(`${server.url}${path}`, method);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.json).toMatchObject({ status: 401, error: 'Unauthorized', path });
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="slipway"');
      const bad = await request(`${server.url}${path}`, method, undefined, {
        authorization: 'Bearer nope',
      });
      expect(bad.status, `${method} ${path}`).toBe(401);
    }
  });

  it("lists a workspace's jobs newest first and filters them by status", async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'jobs-list',
      repositoryUrl: repo.dir,
    });
    const first = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await waitForJob(server, first.json.id);
    const second = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await waitForJob(server, second.json.id);
    const list = await server.api('GET', `/api/workspaces/${ws.json.id}/jobs`);
    expect(list.json._embedded.jobs.map((j: { id: string }) => j.id)).toEqual([
      second.json.id,
      first.json.id,
    ]);
    expect(list.json.page).toEqual({ size: 20, totalElements: 2, totalPages: 1, number: 0 });
    const complete = await server.api('GET', `/api/workspaces/${ws.json.id}/jobs?status=ERROR`);
    expect(complete.json._embedded.jobs).toEqual([]);
    // A repeated status means any of them.
    const ended = await server.api(
      'GET',
      `/api/workspaces/${ws.json.id}/jobs?status=ERROR&status=COMPLETE&status=STOPPED`,
    );
    expect(ended.json.page.totalElements).toBe(2);
    const mixed = await server.api(
      'GET',
      `/api/workspaces/${ws.json.id}/jobs?status=ERROR&status=DONE`,
    );
    expect(mixed.status).toBe(400);
    expect(mixed.json.message).toContain('query "status" is "DONE"');
    const all = await server.api('GET', '/api/jobs?type=WORKSPACE_DEPLOY&size=1');
    expect(all.json._embedded.jobs).toHaveLength(1);
    expect(all.json.page.totalElements).toBeGreaterThanOrEqual(2);
    expect(all.json._links.self.href).toBe(
      `${server.url}/api/jobs?type=WORKSPACE_DEPLOY&size=1&page=0`,
    );
    expect(all.json._links.next.href).toBe(
      `${server.url}/api/jobs?type=WORKSPACE_DEPLOY&size=1&page=1`,
    );
    // A job links to the workspace it deploys.
    expect(list.json._embedded.jobs[0]._links.workspace).toEqual({
      href: `${server.url}/api/workspaces/${ws.json.id}`,
      type: 'GET',
    });
  });
});
