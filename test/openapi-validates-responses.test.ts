import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { documentAjv, relink } from './helpers/openapi-check.js';
import {
  type ApiResponse,
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

let server: ServerProcess;
let document: Json;
let ajv: Ajv2020;
const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-openapi-repos-'));
const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-openapi-templates-'));

beforeAll(async () => {
  repoIn(reposDir, 'dt-repo', { 'hello/manifest.json': job('hello', { lines: ['hi'] }) });
  repoIn(reposDir, 'ws-repo', { 'hello/manifest.json': job('hello', { lines: ['hi'] }) });
  server = await startServer({
    reposDir,
    // Drift checks on: the drift route answers what a check found.
    env: { SLIPWAY_TEMPLATES_DIR: templatesDir, SLIPWAY_DRIFT_SECONDS: '1' },
  });
  const served = await request(`${server.url}/openapi.json`, 'GET');
  expect(served.status).toBe(200);
  document = served.json;
  ajv = documentAjv(document, { strict: true });
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Sends a request and checks the answer against the document: its status must be declared for
 * that operation (a 5xx may fall to `default`), and its body must match the declared schema.
 */
async function call(
  method: string,
  template: string,
  route: string,
  options: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<ApiResponse> {
  const response =
    options.auth === false
      ? await request(`${server.url}${route}`, method, options.body, options.headers)
      : await server.api(method, route, options.body, options.headers);
  const operation = document.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is documented`).toBeDefined();
  const declared =
    operation.responses[String(response.status)] ??
    (response.status >= 500 ? operation.responses.default : undefined);
  expect(
    declared,
    `${method} ${route} answered ${response.status}: ${response.text}`,
  ).toBeDefined();
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (response.status === 204 || response.text === '') {
    expect(declared.content, `${method} ${route}: ${response.status} has no body`).toBeUndefined();
    return response;
  }
  const media = declared.content?.[type];
  expect(media, `${method} ${route} ${response.status} is documented as ${type}`).toBeDefined();
  const validate = ajv.compile(relink(media.schema));
  const bodies =
    type.endsWith('ndjson') || type === 'application/stream+json'
      ? response.text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
      : [type === 'application/json' ? response.json : response.text];
  for (const body of bodies) {
    const ok = validate(body);
    expect(
      ok ? [] : validate.errors,
      `${method} ${route} ${response.status}: ${response.text}`,
    ).toEqual([]);
  }
  return response;
}

describe('responses match the OpenAPI document', () => {
  it('Matatika: workspace create, deploy, job, logs, lists, errors, webhook ping', async () => {
    const created = await call('POST', '/api/workspaces', '/api/workspaces', {
      body: { name: 'Docs', repositoryUrl: path.join(reposDir, 'ws-repo'), branch: 'master' },
    });
    expect(created.status).toBe(201);
    const ws = created.json;
    await call('GET', '/api/workspaces', '/api/workspaces?size=5&sort=name,asc');
    await call('GET', '/api/workspaces/{id}', `/api/workspaces/${ws.id}`);
    await call('PUT', '/api/workspaces/{id}', `/api/workspaces/${ws.id}`, {
      body: { timeoutSeconds: 60 },
    });
    const deployed = await call(
      'POST',
      '/api/workspaces/{id}/deployments',
      `/api/workspaces/${ws.id}/deployments`,
    );
    expect(deployed.status).toBe(202);
    await waitForJob(server, deployed.json.id);
    await call('GET', '/api/jobs/{id}', `/api/jobs/${deployed.json.id}`);
    await call('GET', '/api/jobs', '/api/jobs?status=COMPLETE');
    await call('GET', '/api/workspaces/{id}/jobs', `/api/workspaces/${ws.id}/jobs`);
    const drift = await eventually(async () => {
      const answer = await call(
        'GET',
        '/api/workspaces/{id}/drift',
        `/api/workspaces/${ws.id}/drift`,
      );
      return answer.json.status === 'IN_SYNC' ? answer : undefined;
    }, 'a drift check of the deployed workspace');
    expect(drift.json).toMatchObject({ drifted: [], commitId: expect.any(String) });
    const logs = await call(
      'GET',
      '/api/jobs/{id}/logs',
      `/api/jobs/${deployed.json.id}/logs?sequence=0`,
    );
    expect(logs.status).toBe(200);
    await call('GET', '/api/jobs/{id}/logs', `/api/jobs/${deployed.json.id}/logs?sequence=0`, {
      headers: { accept: 'application/x-ndjson' },
    });
    expect(
      (
        await call(
          'GET',
          '/api/jobs/{id}/logs',
          `/api/jobs/${deployed.json.id}/logs?sequence=999999`,
        )
      ).status,
    ).toBe(204);
    expect((await call('GET', '/api/jobs/{id}', '/api/jobs/nope')).status).toBe(404);
    expect(
      (await call('POST', '/api/workspaces', '/api/workspaces', { body: { name: 3 } })).status,
    ).toBe(400);
    expect((await call('GET', '/api/jobs', '/api/jobs', { auth: false })).status).toBe(401);
    expect(
      (await call('PUT', '/api/jobs/{id}/stopped', `/api/jobs/${deployed.json.id}/stopped`)).status,
    ).toBe(409);
    const ping = '{"zen":"hi"}';
    const signature = `sha256=${createHmac('sha256', ws.deploymentSecret).update(ping).digest('hex')}`;
    const pong = await call(
      'POST',
      '/api/workspaces/{id}/deployments/github-webhook',
      `/api/workspaces/${ws.id}/deployments/github-webhook`,
      {
        auth: false,
        body: ping,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-hub-signature-256': signature,
        },
      },
    );
    expect(pong.status).toBe(200);
    // Another caller may not delete the workspace's history.
    const stranger = await call('DELETE', '/api/jobs/{id}', `/api/jobs/${deployed.json.id}`, {
      auth: false,
      headers: { identity: 'stranger@example.com' },
    });
    expect(stranger.status).toBe(403);
    expect((await call('DELETE', '/api/jobs/{id}', `/api/jobs/${deployed.json.id}`)).status).toBe(
      204,
    );
  });

  it('DataTask: task deploy from the repos dir, state, lists under both mounts, errors', async () => {
    const deployed = await call(
      'GET',
      '/v1/task/deploy/{repository}/{directory}',
      '/v1/task/deploy/dt-repo/hello',
    );
    expect(deployed.status).toBe(202);
    await call('GET', '/v1/task/state/{id}', `/v1/task/state/${deployed.json.id}`);
    await call('GET', '/apps/deploy-api/v1/list/tasks', '/apps/deploy-api/v1/list/tasks');
    await call('GET', '/v1/list/tasks/{namespace}', '/v1/list/tasks/dt-repo');
    await call('GET', '/v1/list/namespaces', '/v1/list/namespaces');
    await call('GET', '/v1/list/pods', '/v1/list/pods');
    await call('GET', '/v1/list/pipelines', '/v1/list/pipelines');
    await call('GET', '/v2/task/list/templates', '/v2/task/list/templates');
    const loading = await call(
      'POST',
      '/v2/task/load/configuration/from-git/{repository}/{directory}',
      '/v2/task/load/configuration/from-git/dt-repo/hello',
    );
    await call(
      'GET',
      '/v2/task/get/configuration-loading-state/{work_id}',
      `/v2/task/get/configuration-loading-state/${loading.json.work_id}`,
    );
    expect(
      (
        await call(
          'GET',
          '/v1/task/deployas/{repository}/{directory}/{name}',
          '/v1/task/deployas/dt-repo/hello/Bad_Name',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await call(
          'POST',
          '/v1/task/deploy/{repository}/{directory}',
          '/v1/task/deploy/dt-repo/hello',
          { auth: false },
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await call(
          'GET',
          '/apps/deploy-api/v1/task/state/{id}',
          '/apps/deploy-api/v1/task/state/nope',
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await call('POST', '/v2/task/get/template', '/v2/task/get/template', {
          body: { template_path: 'none.json' },
        })
      ).status,
    ).toBe(404);
  });

  it('MetaKraftwerk: patterns and deployments on an empty templates dir, 404, 401, 501', async () => {
    expect((await call('GET', '/api/v1/patterns', '/api/v1/patterns')).json).toEqual([]);
    await call('GET', '/api/v1/deployments', '/api/v1/deployments');
    expect((await call('GET', '/api/v1/patterns/{id}', '/api/v1/patterns/99')).status).toBe(404);
    expect(
      (await call('GET', '/api/v1/patterns', '/api/v1/patterns', { auth: false })).status,
    ).toBe(401);
    expect((await call('POST', '/api/v1/patterns', '/api/v1/patterns', { body: {} })).status).toBe(
      501,
    );
  });

  it('nullplatform: application, build, asset, release, scope, deployment, lists, 400', async () => {
    const app = await call('POST', '/application', '/application', { body: { name: 'docs-app' } });
    const build = await call('POST', '/build', '/build', { body: { application_id: app.json.id } });
    await call('POST', '/build/{id}/asset', `/build/${build.json.id}/asset`, {
      body: { name: 'main', type: 'docker-image', url: 'nginx:1' },
    });
    await call('PATCH', '/build/{id}', `/build/${build.json.id}`, {
      body: { status: 'successful' },
    });
    await call('GET', '/build/{id}', `/build/${build.json.id}`);
    const release = await call('POST', '/release', '/release', {
      body: {
        status: 'active',
        build_id: build.json.id,
        application_id: app.json.id,
        semver: '1.0.0',
      },
    });
    const scope = await call('POST', '/scope', '/scope', {
      body: { application_id: app.json.id, name: 'prod', asset_name: 'main' },
    });
    await call('PATCH', '/scope/{id}', `/scope/${scope.json.id}`, {
      body: { capabilities: { instances: 1 } },
    });
    const deployment = await call('POST', '/deployment', '/deployment', {
      body: { scope_id: scope.json.id, release_id: release.json.id },
    });
    expect(deployment.status).toBe(201);
    await call(
      'GET',
      '/deployment/{id}',
      `/deployment/${deployment.json.id}?include_messages=true`,
    );
    for (const resource of ['application', 'build', 'release', 'scope', 'deployment'])
      await call('GET', `/${resource}`, `/${resource}?limit=5`);
    expect((await call('POST', '/release', '/release', { body: {} })).status).toBe(400);
    expect((await call('GET', '/scope/{id}', '/scope/999')).status).toBe(404);
    expect((await call('GET', '/scope', '/scope', { auth: false })).status).toBe(401);
  });

  it('tokens, health, the GitHub App webhook when it is off, the reference itself', async () => {
    const token = await call('POST', '/api/tokens', '/api/tokens', { body: { name: 'docs' } });
    expect(token.status).toBe(201);
    await call('GET', '/api/tokens', '/api/tokens');
    const forbidden = await call('GET', '/api/tokens', '/api/tokens', {
      headers: { authorization: `Bearer ${token.json.token}` },
    });
    expect(forbidden.status).toBe(403);
    expect((await call('DELETE', '/api/tokens/{id}', '/api/tokens/nope')).status).toBe(404);
    await call('GET', '/healthz', '/healthz', { auth: false });
    const webhook = await call('POST', '/api/github/webhooks', '/api/github/webhooks', {
      auth: false,
      body: {},
    });
    expect(webhook.status).toBe(503);
    const docs = await call('GET', '/docs', '/docs', { auth: false });
    expect(docs.text).toContain('openapi.json');
    await call('GET', '/openapi.json', '/openapi.json', { auth: false });
  });
});
