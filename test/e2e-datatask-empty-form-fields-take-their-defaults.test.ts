import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { type ApiResponse, request, type ServerProcess, startServer } from './helpers/server.js';

const ME = { identity: 'dev@example.com' };
const FORM = { ...ME, 'content-type': 'application/x-www-form-urlencoded' };

/** One task, run under the pipeline's name. */
const PIPELINE = JSON.stringify({
  name: 'single',
  tasks: [{ name: 'hello', namespacetask: 'etl/tasks/hello' }],
});
const MANIFEST = JSON.stringify({ name: 'inline', type: 'job', cmd: ['node', '-e', '0'] });

describe('DataTask form routes: an empty field takes its default; a repeated, misplaced or dropped one is refused', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-empty-'));
    // Only a master branch: an empty branch that is not taken as master fails to fetch.
    repoIn(reposDir, 'etl', {
      'tasks/hello/manifest.json': job('hello'),
      'pipelines/single/pipeline.json': PIPELINE,
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** An urlencoded form, as an HTML form posts it: `[["namespace", ""], ...]`. */
  const form = (route: string, entries: [string, string][]): Promise<ApiResponse> =>
    request(`${server.url}${route}`, 'POST', new URLSearchParams(entries).toString(), FORM);

  /** A multipart form, as `curl -F` posts it (the body sets its own content type). */
  async function multipart(route: string, entries: [string, string][]) {
    const body = new FormData();
    for (const [key, value] of entries) body.append(key, value);
    const response = await fetch(`${server.url}${route}`, { method: 'POST', body, headers: ME });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** Every job the server holds (Matatika's list, read with the admin token). */
  const jobCount = async () => {
    const jobs = await request(`${server.url}/api/jobs?size=1`, 'GET', undefined, {
      authorization: `Bearer ${server.adminToken}`,
    });
    return jobs.json.page.totalElements as number;
  };

  it('deploys a task into namespace = repository, under the manifest name, from master', async () => {
    const empty: [string, string][] = [
      ['namespace', ''],
      ['name', ''],
      ['branch', ''],
      ['schedule', ''],
    ];
    const expected = { namespace: 'etl', name: 'hello', kind: 'job', status: 'pending' };
    const urlencoded = await form('/v2/task/elaborate/deploy/etl/tasks%2Fhello', empty);
    expect(urlencoded.status, urlencoded.text).toBe(202);
    expect(urlencoded.json).toMatchObject(expected);
    const fromCurlF = await multipart('/v2/task/elaborate/deploy/etl/tasks%2Fhello', empty);
    expect(fromCurlF.status, JSON.stringify(fromCurlF.json)).toBe(202);
    expect(fromCurlF.json).toMatchObject(expected);
    const json = await request(
      `${server.url}/v2/task/elaborate/deploy/etl/tasks%2Fhello`,
      'POST',
      { namespace: '', name: '', branch: '' },
      ME,
    );
    expect(json.status, json.text).toBe(202);
    expect(json.json).toMatchObject(expected);
    const inas = await form('/v1/task/elaborate/deployinas/etl/tasks%2Fhello/jobs/hi', [
      ['branch', ''],
      ['schedule', ''],
    ]);
    expect(inas.status, inas.text).toBe(202);
    expect(inas.json).toMatchObject({ namespace: 'jobs', name: 'hi', kind: 'job' });
  });

  it('deploys a configuration under its own name from master when name and branch are empty', async () => {
    const response = await form('/v2/task/deploy/with-configuration', [
      ['namespace', 'adhoc'],
      ['configuration', MANIFEST],
      ['name', ''],
      ['branch', ''],
      ['repository', ''],
      ['directory', ''],
      ['template_path', ''],
      ['deployment', ''],
    ]);
    expect(response.status, response.text).toBe(202);
    expect(response.json).toMatchObject({ namespace: 'adhoc', name: 'inline', kind: 'job' });
  });

  it('runs a pipeline in namespace = repository from master', async () => {
    const run = await form('/v2/pipeline/elaborate/run/etl/pipelines%2Fsingle/nightly', [
      ['namespace', ''],
      ['branch', ''],
    ]);
    expect(run.status, run.text).toBe(202);
    expect(run.json).toMatchObject({ name: 'nightly', namespace: 'etl' });
    const inas = await form('/v1/pipeline/elaborate/runinas/etl/pipelines%2Fsingle/flows/daily', [
      ['branch', ''],
    ]);
    expect(inas.status, inas.text).toBe(202);
    expect(inas.json).toMatchObject({ name: 'daily', namespace: 'flows' });
    const configured = await form('/v2/pipeline/run/with-configuration', [
      ['namespace', 'flows'],
      ['configuration', PIPELINE],
      ['name', ''],
      ['branch', ''],
    ]);
    expect(configured.status, configured.text).toBe(202);
    expect(configured.json).toMatchObject({ name: 'single', namespace: 'flows' });
  });

  it('refuses a field given twice with 400 naming it, and deploys nothing', async () => {
    const before = await jobCount();
    const twice: [string, string][] = [
      ['namespace', 'a'],
      ['namespace', 'b'],
    ];
    for (const response of [
      await multipart('/v2/task/elaborate/deploy/etl/tasks%2Fhello', twice),
      await form('/v2/task/elaborate/deploy/etl/tasks%2Fhello', twice),
      await form('/v1/task/elaborate/deployinas/etl/tasks%2Fhello/jobs/hi', [
        ['branch', 'master'],
        ['branch', 'other'],
      ]),
    ]) {
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ status: 400, error: 'Bad Request' });
      expect(response.json.message).toMatch(/^field "(namespace|branch)" is given 2 times/);
    }
    // JSON too: JSON.parse alone would keep the last value without a word.
    const json = await request(
      `${server.url}/v2/task/elaborate/deploy/etl/tasks%2Fhello`,
      'POST',
      '{"namespace": "a",\n "namespace": "b"}',
      { ...ME, 'content-type': 'application/json' },
    );
    expect(json.status, json.text).toBe(400);
    expect(json.json.message).toBe(
      'request body is invalid: key "namespace" appears again (first at line 1); expected each key once',
    );
    const nested = await request(
      `${server.url}/v2/task/deploy/with-configuration`,
      'POST',
      '{"namespace": "adhoc", "configuration": {"name": "a", "name": "b", "type": "job"}}',
      { ...ME, 'content-type': 'application/json' },
    );
    expect(nested.status, nested.text).toBe(400);
    expect(nested.json.message).toMatch(/key "name" appears again .* \(at "configuration.name"\)$/);
    expect(await jobCount()).toBe(before);
  });

  it('refuses a field sent in the query string, where no route reads it, and deploys nothing', async () => {
    const before = await jobCount();
    const posted = await form('/v2/task/elaborate/deploy/etl/tasks%2Fhello?namespace=qns', []);
    expect(posted.status, posted.text).toBe(400);
    expect(posted.json.message).toBe(
      '"namespace" is in the query string, where /v2/task/elaborate/deploy/etl/tasks%2Fhello does not read it; expected it in the request body (form-data, urlencoded or JSON)',
    );
    const got = await request(
      `${server.url}/v1/task/deploy/etl/tasks%2Fhello?name=other&branch=dev`,
      'GET',
      undefined,
      ME,
    );
    expect(got.status, got.text).toBe(400);
    expect(got.json.message).toMatch(
      /^"name", "branch" are in the query string, .*; expected none: the route takes its values from its path only$/,
    );
    const template = await form('/v2/task/get/template?template_path=t.json', []);
    expect(template.status, template.text).toBe(400);
    expect(template.json.message).toMatch(/^"template_path" is in the query string/);
    expect(await jobCount()).toBe(before);
    // A query parameter that is no field of theirs (a cache buster) is none of their business.
    const busted = await request(
      `${server.url}/v1/task/deploy/etl/tasks%2Fhello?_=1732000000`,
      'GET',
      undefined,
      ME,
    );
    expect(busted.status, busted.text).toBe(202);
  });

  /** A form `route` refuses with 400 and exactly `message`. */
  async function refused(route: string, entries: [string, string][], message: string) {
    const response = await form(route, entries);
    expect(response.status, response.text).toBe(400);
    expect(response.json.message).toBe(message);
  }

  it('refuses an empty configuration instead of deploying something else', async () => {
    const before = await jobCount();
    await refused(
      '/v2/task/deploy/with-configuration',
      [
        ['namespace', 'adhoc'],
        ['configuration', ''],
        ['repository', 'etl'],
        ['directory', 'tasks/hello'],
      ],
      '"configuration" is empty; expected the manifest.json to deploy',
    );
    await refused(
      '/v2/pipeline/run/with-configuration',
      [
        ['namespace', 'flows'],
        ['configuration', ' '],
      ],
      '"configuration" is blank; expected the pipeline.json to run',
    );
    expect(await jobCount()).toBe(before);
  });

  it('refuses a branch or a deployment definition that would have been dropped', async () => {
    const before = await jobCount();
    const inline: [string, string][] = [
      ['namespace', 'adhoc'],
      ['configuration', MANIFEST],
    ];
    await refused(
      '/v2/task/deploy/with-configuration',
      [...inline, ['branch', 'nope']],
      '"branch" is "nope" without a "repository"; expected a repository to take the branch of, or no branch',
    );
    await refused(
      '/v2/task/deploy/with-configuration',
      [...inline, ['deployment', 'dev']],
      `"deployment" is "dev" without a "template_path"; expected the pattern's template_path with it, or neither`,
    );
    expect(await jobCount()).toBe(before);
  });

  it('still refuses a value that is given and wrong, saying what was expected', async () => {
    const bad = await form('/v2/task/elaborate/deploy/etl/tasks%2Fhello', [['namespace', 'B_d']]);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/"namespace" is "B_d"; expected lowercase letters/);
    const number = await request(
      `${server.url}/v2/task/elaborate/deploy/etl/tasks%2Fhello`,
      'POST',
      { branch: 5 },
      ME,
    );
    expect(number.status).toBe(400);
    expect(number.json.message).toMatch(/"branch" is 5; expected a branch name, or "" for/);
    const long = await form('/v2/task/elaborate/deploy/etl/tasks%2Fhello', [
      ['schedule', `0 3 * * * ${'x'.repeat(200)}`],
    ]);
    expect(long.status).toBe(400);
    expect(long.json.message).toMatch(
      /"schedule" is .*; expected a cron expression of at most 200 characters$/,
    );
  });
});
