import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, job, repoIn, service } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

describe('DataTask task routes (seed 001) on the local runtime', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    repoIn(reposDir, 'etl', {
      'hello/manifest.json': job('hello', { lines: ['hello from etl'] }),
      'tasks/web/manifest.json': service('web'),
      'tasks/worker/manifest.json': deployment('worker'),
      'tasks/nightly/manifest.json': job('nightly'),
      'tasks/broken/manifest.json': manifest({ name: 'broken', type: 'cronjob' }),
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = ME,
  ) => request(`${server.url}${route}`, method, body, headers);

  async function finalState(id: string, wanted = ['succeeded', 'failed', 'running']) {
    return eventually(
      async () => {
        const state = await call('GET', `/v1/task/state/${id}`);
        return wanted.includes(state.json.status) ? state.json : undefined;
      },
      `task ${id} to be ${wanted.join(' or ')}`,
      20_000,
    );
  }

  it("deploys with the seed's defaults: namespace = repository, name = the manifest's, branch master", async () => {
    const response = await call('GET', '/v1/task/deploy/etl/hello');
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({
      namespace: 'etl',
      name: 'hello',
      kind: 'job',
      status: 'pending',
    });
    const state = await finalState(response.json.id, ['succeeded']);
    expect(state).toMatchObject({
      id: response.json.id,
      namespace: 'etl',
      name: 'hello',
      kind: 'job',
      status: 'succeeded',
    });
    expect(state.startTime).toBeDefined();
    expect(state.completionTime).toBeDefined();
    // The task id is the id of its deploy job, whose log holds the task's output.
    expect((await waitForJob(server, response.json.id)).status).toBe('COMPLETE');
    const log = await server.api('GET', `/api/jobs/${response.json.id}/logs`);
    expect(log.text).toContain('[hello] hello from etl');
  });

  it('takes a directory with slashes URL-encoded, a name, and a namespace (GET or POST)', async () => {
    const as = await call('POST', '/v1/task/deployas/etl/tasks%2Fworker/worker-two');
    expect(as.json).toMatchObject({ namespace: 'etl', name: 'worker-two', kind: 'deployment' });
    const inas = await call('GET', '/v1/task/deployinas/etl/tasks%2Fweb/web-ns/frontend');
    expect(inas.json).toMatchObject({ namespace: 'web-ns', name: 'frontend', kind: 'service' });
    expect(await finalState(as.json.id, ['running'])).toMatchObject({ status: 'running' });
    expect(await finalState(inas.json.id, ['running'])).toMatchObject({ status: 'running' });
  });

  it('refuses fields in the body of a POST to a route that takes its values from the path', async () => {
    const route = '/v1/task/deployas/etl/tasks%2Fworker/worker-three';
    const refused = await call('POST', route, { namespace: 'elsewhere', schedule: '* * * * *' });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe(
      `"namespace", "schedule" are not taken by ${route}: it takes its values from its path only`,
    );
    const form = new URLSearchParams({ branch: 'nonexistent' });
    const formRefused = await call('POST', '/v1/pipeline/kill/no-such-run', form.toString(), {
      ...ME,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(formRefused.status).toBe(400);
    expect(formRefused.json.message).toMatch(/^"branch" is not taken by/);
    // Nothing was deployed under that name.
    const tasks = await call('GET', '/v1/list/tasks/etl');
    expect(tasks.status).toBe(200);
    expect(JSON.stringify(tasks.json)).toContain('worker-two');
    expect(JSON.stringify(tasks.json)).not.toContain('worker-three');
    // Without credentials, the 401 comes before the body is looked at.
    expect((await call('POST', route, { namespace: 'x' }, {})).status).toBe(401);
  });

  it('turns a job into a cron job with a schedule from form-data or JSON', async () => {
    const form = new FormData();
    form.set('schedule', '0 3 * * *');
    form.set('branch', 'master');
    const response = await fetch(
      `${server.url}/v1/task/elaborate/deployinas/etl/tasks%2Fnightly/jobs/nightly`,
      { method: 'POST', body: form, headers: ME },
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { kind: string; id: string };
    expect(body.kind).toBe('cronjob');
    const json = await call('POST', '/v2/task/elaborate/deploy/etl/tasks%2Fnightly', {
      namespace: 'jobs',
      name: 'nightly-json',
      schedule: '*/5 * * * *',
    });
    expect(json.json).toMatchObject({ namespace: 'jobs', name: 'nightly-json', kind: 'cronjob' });
    await waitForJob(server, body.id);
    await waitForJob(server, json.json.id);
    const tasks = await call('GET', '/v1/list/tasks/jobs');
    const cronJobs = tasks.json.cronJobs.map(
      (c: { name: string; schedule: string }) => `${c.name} ${c.schedule}`,
    );
    expect(cronJobs.sort()).toEqual(['nightly 0 3 * * *', 'nightly-json */5 * * * *']);
    expect(tasks.json.jobs).toEqual([]);
  });

  it('deploys a manifest passed as configuration, without a repository', async () => {
    const configuration = JSON.stringify({
      name: 'inline',
      type: 'job',
      cmd: ['node', '-e', 'console.log("inline ran")'],
    });
    const response = await call(
      'POST',
      '/v2/task/deploy/with-configuration',
      new URLSearchParams({ namespace: 'adhoc', configuration }).toString(),
      {
        ...ME,
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ namespace: 'adhoc', name: 'inline', kind: 'job' });
    expect(await finalState(response.json.id, ['succeeded'])).toMatchObject({
      status: 'succeeded',
    });
  });

  it('is served under /apps/deploy-api too', async () => {
    const response = await call(
      'GET',
      '/apps/deploy-api/v1/task/deployas/etl/hello/hello-prefixed',
    );
    expect(response.status).toBe(202);
    expect((await call('GET', `/apps/deploy-api/v1/task/state/${response.json.id}`)).status).toBe(
      200,
    );
  });

  it('refuses every protected route without an identity, in its own error shape', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/v1/task/deploy/etl/hello'],
      ['POST', '/v1/task/deploy/etl/hello'],
      ['GET', '/v1/task/deployas/etl/hello/x'],
      ['GET', '/v1/task/deployinas/etl/hello/ns/x'],
      ['POST', '/v1/task/elaborate/deployinas/etl/hello/ns/x'],
      ['POST', '/v2/task/elaborate/deploy/etl/hello'],
      ['POST', '/v2/task/deploy/with-configuration'],
      ['GET', '/v1/pipeline/runas/etl/p/x'],
      ['GET', '/v1/pipeline/runinas/etl/p/ns/x'],
      ['POST', '/v1/pipeline/elaborate/runinas/etl/p/ns/x'],
      ['POST', '/v2/pipeline/elaborate/run/etl/p/x'],
      ['POST', '/v2/pipeline/run/with-configuration'],
      ['GET', '/v1/pipeline/kill/x'],
      ['GET', '/v1/delete/job/ns/x'],
      ['GET', '/v1/delete/cronjob/ns/x'],
      ['GET', '/v1/delete/deployment/ns/x'],
      ['GET', '/v1/delete/service/ns/x'],
    ];
    for (const [method, route] of routes) {
      const response = await call(method, route, undefined, {});
      expect(response.status, `${method} ${route}`).toBe(401);
      expect(response.json).toMatchObject({ status: 401, error: 'Unauthorized' });
      expect(response.json.message).toMatch(/protected/);
    }
  });

  it('answers bad input with a 4xx naming what is wrong, and queues nothing', async () => {
    const before = (await server.api('GET', '/api/jobs?type=TASK_DEPLOY&size=1')).json.page
      .totalElements;
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['GET', '/v1/task/deploy/nope/hello', undefined, 404, /repository 'nope' not found/],
      [
        'GET',
        '/v1/task/deploy/etl/missing',
        undefined,
        404,
        /directory 'missing' not found in etl@/,
      ],
      ['GET', '/v1/task/deploy/etl/..%2F..%2Fetc', undefined, 400, /contains "\.\."/],
      ['GET', '/v1/task/deploy/etl/tasks%2Fbroken', undefined, 400, /"type" is "cronjob"/],
      ['GET', '/v1/task/deployas/etl/hello/Bad_Name', undefined, 400, /":name" is "Bad_Name"/],
      [
        'POST',
        '/v2/task/elaborate/deploy/etl/hello',
        { schedule: 'every day' },
        400,
        /"schedule" is "every day"/,
      ],
      [
        'POST',
        '/v2/task/elaborate/deploy/etl/tasks%2Fweb',
        { schedule: '* * * * *' },
        400,
        /only a job can have a schedule/,
      ],
      [
        'POST',
        '/v2/task/elaborate/deploy/etl/hello',
        { branch: 'no such' },
        400,
        /"branch" is "no such"/,
      ],
      [
        'POST',
        '/v2/task/elaborate/deploy/etl/hello',
        { colour: 'red' },
        400,
        /unknown field "colour"/,
      ],
      [
        'POST',
        '/v2/task/elaborate/deploy/etl/hello',
        { branch: 'develop' },
        404,
        /branch 'develop' not found/,
      ],
      [
        'POST',
        '/v2/task/deploy/with-configuration',
        { namespace: 'x' },
        400,
        /"configuration" is missing/,
      ],
      [
        'POST',
        '/v2/task/deploy/with-configuration',
        { namespace: 'x', configuration: '{"name":"a"}' },
        400,
        /"type" is missing/,
      ],
      [
        'POST',
        '/v2/task/deploy/with-configuration',
        {
          namespace: 'x',
          directory: 'tasks/web',
          configuration: '{"name":"a","type":"job","cmd":["true"]}',
        },
        400,
        /^"directory" is "tasks\/web" without a "repository"; expected both/,
      ],
      [
        'GET',
        '/v1/task/deployas/etl/tasks%2Fweb/9web',
        undefined,
        400,
        /^name "9web" is a service's, and so its Kubernetes Service's, which must start with a letter$/,
      ],
      ['GET', '/v1/task/state/unknown-id', undefined, 404, /task 'unknown-id' does not exist/],
    ];
    for (const [method, route, body, status, message] of cases) {
      const response = await call(method, route, body);
      expect(response.status, `${method} ${route} ${JSON.stringify(body)}`).toBe(status);
      expect(response.json.message).toMatch(message);
    }
    const after = (await server.api('GET', '/api/jobs?type=TASK_DEPLOY&size=1')).json.page
      .totalElements;
    expect(after).toBe(before);
  });
});
