import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, request, type ServerProcess, startServer } from './helpers/server.js';

const HUB = { name: 'hub', type: 'job', cmd: ['node', '-e', 'console.log("hub loaded")'] };

function patternFile(deployments: unknown[], template: Record<string, unknown> = HUB): string {
  return `${JSON.stringify({ ...template, deployments }, null, 2)}\n`;
}

describe('the MetaKraftwerk surface (seed 002)', () => {
  let server: ServerProcess;
  let templatesDir: string;
  let dataDir: string;

  beforeAll(async () => {
    templatesDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-patterns-'));
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-patterns-data-'));
    writeFileSync(
      path.join(templatesDir, 'CORE_DV_HLS.json'),
      patternFile([
        { name: 'dev', type: 'KUBERNETES', namespace: 'dv-dev' },
        { name: 'prod', type: 'KUBERNETES', namespace: 'dv-prod' },
        { name: 'export', type: 'GIT', repository: 'https://git.example.com/dv.git', path: 'out' },
        { name: 'notify', type: 'API', url: 'https://hooks.example.com/dv' },
        {
          name: 'everything',
          type: 'GROUP',
          mode: 'SEQUENTIAL',
          children: ['dev', 'export', 'notify'],
        },
      ]),
    );
    mkdirSync(path.join(templatesDir, 'edge'));
    writeFileSync(
      path.join(templatesDir, 'edge', 'daily.json'),
      patternFile([{ name: 'dev', type: 'KUBERNETES', namespace: 'edge-dev' }], {
        name: 'daily',
        tasks: [{ name: 'a', namespacetask: 'repo/a' }],
      }),
    );
    writeFileSync(
      path.join(templatesDir, 'BROKEN.json'),
      patternFile([
        { name: 'x', type: 'FTP' },
        { name: 'loop', type: 'GROUP', mode: 'PARALLEL', children: ['loop', 'missing'] },
      ]),
    );
    server = await startServer({ dataDir, env: { SLIPWAY_TEMPLATES_DIR: templatesDir } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const get = (route: string, headers?: Record<string, string>) =>
    headers
      ? request(`${server.url}${route}`, 'GET', undefined, headers)
      : server.api('GET', route);

  it('lists patterns with integer ids; an invalid file is listed with its problems and hides nothing', async () => {
    const response = await get('/api/v1/patterns');
    expect(response.status).toBe(200);
    const byName = Object.fromEntries(response.json.map((p: Json) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['BROKEN', 'CORE_DV_HLS', 'edge/daily']);
    expect(byName.CORE_DV_HLS).toMatchObject({
      kind: 'task',
      valid: true,
      file: 'CORE_DV_HLS.json',
      template: HUB,
    });
    expect(byName.CORE_DV_HLS.deployments.map((d: Json) => d.name)).toEqual([
      'dev',
      'prod',
      'export',
      'notify',
      'everything',
    ]);
    expect(byName['edge/daily']).toMatchObject({ kind: 'pipeline', valid: true });
    expect(byName.BROKEN.valid).toBe(false);
    const messages = byName.BROKEN.problems.map((p: Json) => p.message).join('\n');
    expect(messages).toContain(
      '"deployments[0].type" is "FTP"; expected one of KUBERNETES, GIT, API, GROUP',
    );
    expect(messages).toContain('group "loop" contains itself');
    expect(messages).toContain(
      'group "loop" names "missing", which is not a deployment of this pattern',
    );
    expect(byName.BROKEN.problems.every((p: Json) => typeof p.line === 'number')).toBe(true);
    expect(new Set(response.json.map((p: Json) => p.id)).size).toBe(3);
    expect(response.json.every((p: Json) => Number.isInteger(p.id))).toBe(true);

    const one = await get(`/api/v1/patterns/${byName.CORE_DV_HLS.id}`);
    expect(one.json.name).toBe('CORE_DV_HLS');
    expect((await get('/api/v1/patterns?name=edge/daily')).json.map((p: Json) => p.name)).toEqual([
      'edge/daily',
    ]);
  });

  it('finds deployments by pattern, pattern_id and name, in any combination', async () => {
    const byPattern = await get('/api/v1/deployments?pattern=CORE_DV_HLS');
    expect(byPattern.status).toBe(200);
    expect(byPattern.json).toHaveLength(5);
    expect(Object.keys(byPattern.json[0]).sort()).toEqual(['id', 'name', 'pattern_id', 'type']);
    const patternId = byPattern.json[0].pattern_id;
    expect((await get(`/api/v1/deployments?pattern_id=${patternId}`)).json).toEqual(byPattern.json);
    const dev = await get('/api/v1/deployments?name=dev');
    expect(dev.json.map((d: Json) => d.pattern_id).sort()).toHaveLength(2);
    const both = await get(
      `/api/v1/deployments?pattern=CORE_DV_HLS&name=dev&pattern_id=${patternId}`,
    );
    expect(both.json).toEqual([
      expect.objectContaining({ name: 'dev', type: 'KUBERNETES', pattern_id: patternId }),
    ]);
    const none = await get('/api/v1/deployments?pattern=CORE_DV_HLS&name=nope');
    expect(none.json).toEqual([]);
    const detail = await get(`/api/v1/deployments/${both.json[0].id}`);
    expect(detail.json).toMatchObject({
      id: both.json[0].id,
      pattern_id: patternId,
      pattern: 'CORE_DV_HLS',
      name: 'dev',
      type: 'KUBERNETES',
      namespace: 'dv-dev',
    });
    const group = (await get('/api/v1/deployments?name=everything')).json[0];
    expect((await get(`/api/v1/deployments/${group.id}`)).json).toMatchObject({
      mode: 'SEQUENTIAL',
      children: ['dev', 'export', 'notify'],
    });
  });

  it('shows the credentials in a definition to the admin only, masked to other callers', async () => {
    writeFileSync(
      path.join(templatesDir, 'SECRETS.json'),
      patternFile([
        {
          name: 'push',
          type: 'GIT',
          repository: 'https://bot:ghp_PATTERNTOKEN@git.example.com/dv.git',
        },
        { name: 'hook', type: 'API', url: 'https://hooks.example.com/dv?token=HOOKTOKEN77&x=1' },
      ]),
    );
    const listed = (await get('/api/v1/deployments?pattern=SECRETS')).json as Json[];
    const push = listed.find((d) => d.name === 'push');
    const hook = listed.find((d) => d.name === 'hook');
    const admin = await get(`/api/v1/deployments/${push?.id}`);
    expect(admin.json.repository).toBe('https://bot:ghp_PATTERNTOKEN@git.example.com/dv.git');
    const caller = { identity: 'dev@example.com' };
    const seen = await get(`/api/v1/deployments/${push?.id}`, caller);
    expect(seen.json.repository).toBe('https://***@git.example.com/dv.git');
    const hookSeen = await get(`/api/v1/deployments/${hook?.id}`, caller);
    expect(hookSeen.json.url).toBe('https://hooks.example.com/dv?token=***&x=1');
    expect(JSON.stringify([seen.json, hookSeen.json])).not.toMatch(/PATTERNTOKEN|HOOKTOKEN/);
  });

  it("answers with the seed's errors, in {name, message, code, className}", async () => {
    const cases: Array<[string, number, Json]> = [
      [
        '/api/v1/deployments?pattern=X',
        404,
        {
          name: 'NotFound',
          message: "A pattern with the name 'X' does not exist!",
          code: 404,
          className: 'not-found',
        },
      ],
      [
        '/api/v1/deployments/999999',
        404,
        {
          name: 'NotFound',
          message: "No record found for id '999999'",
          code: 404,
          className: 'not-found',
        },
      ],
      [
        '/api/v1/patterns/999999',
        404,
        {
          name: 'NotFound',
          message: "No record found for id '999999'",
          code: 404,
          className: 'not-found',
        },
      ],
      [
        '/api/v1/patterns?name=X',
        404,
        {
          name: 'NotFound',
          message: "A pattern with the name 'X' does not exist!",
          code: 404,
          className: 'not-found',
        },
      ],
      [
        '/api/v1/deployments/abc',
        400,
        {
          name: 'BadRequest',
          message: '"id" is "abc"; expected an integer id',
          code: 400,
          className: 'bad-request',
        },
      ],
      [
        '/api/v1/deployments?pattern_id=1.5',
        400,
        {
          name: 'BadRequest',
          message: '"pattern_id" is "1.5"; expected an integer id',
          code: 400,
          className: 'bad-request',
        },
      ],
    ];
    for (const [route, status, body] of cases) {
      const response = await get(route);
      expect(response.status, route).toBe(status);
      expect(response.json).toEqual(body);
    }
    for (const [headers, reason] of [
      [{}, /^authentication required/],
      [{ authorization: 'Bearer wrong' }, /token/],
    ] as [Record<string, string>, RegExp][]) {
      const response = await get('/api/v1/deployments?pattern=CORE_DV_HLS', headers);
      expect(response.status).toBe(401);
      // The seed's body, and why in its `data`.
      expect(response.json).toEqual({
        name: 'NotAuthenticated',
        message: 'Not authenticated',
        code: 401,
        className: 'not-authenticated',
        data: { reason: expect.stringMatching(reason) },
      });
    }
    // OPTIONS needs no credential here either: it only says what a path takes.
    const options = await request(`${server.url}/api/v1/patterns`, 'OPTIONS');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toContain('GET');
    for (const [method, route] of [
      ['POST', '/api/v1/deployments'],
      ['PUT', '/api/v1/deployments'],
      ['PATCH', '/api/v1/deployments/1'],
      ['DELETE', '/api/v1/deployments/1'],
    ] as const) {
      const response = await server.api(method, route, {});
      expect(response.status, `${method} ${route}`).toBe(501);
      expect(response.json).toEqual({
        name: 'NotImplemented',
        message: 'Not implemented',
        code: 501,
        className: 'not-implemented',
      });
    }
  });

  it("keeps ids across restarts and edits, and never gives a removed definition's id to another", async () => {
    const before = await get('/api/v1/deployments?pattern=CORE_DV_HLS');
    const ids = Object.fromEntries(before.json.map((d: Json) => [d.name, d.id]));
    const patternsBefore = Object.fromEntries(
      (await get('/api/v1/patterns')).json.map((p: Json) => [p.name, p.id]),
    );
    await server.stop();
    // Edit: remove "prod", add "staging", and add a new pattern file.
    writeFileSync(
      path.join(templatesDir, 'CORE_DV_HLS.json'),
      patternFile([
        { name: 'staging', type: 'KUBERNETES', namespace: 'dv-staging' },
        { name: 'dev', type: 'KUBERNETES', namespace: 'dv-dev' },
        { name: 'export', type: 'GIT', repository: 'https://git.example.com/dv.git' },
        { name: 'notify', type: 'API', url: 'https://hooks.example.com/dv' },
        { name: 'everything', type: 'GROUP', mode: 'PARALLEL', children: ['dev'] },
      ]),
    );
    writeFileSync(
      path.join(templatesDir, 'AAA_NEW.json'),
      patternFile([{ name: 'dev', type: 'KUBERNETES', namespace: 'new' }]),
    );
    rmSync(path.join(templatesDir, 'BROKEN.json'));
    server = await startServer({ dataDir, env: { SLIPWAY_TEMPLATES_DIR: templatesDir } });
    const after = await get('/api/v1/deployments?pattern=CORE_DV_HLS');
    const afterIds = Object.fromEntries(after.json.map((d: Json) => [d.name, d.id]));
    for (const name of ['dev', 'export', 'notify', 'everything'])
      expect(afterIds[name]).toBe(ids[name]);
    expect(afterIds.prod).toBeUndefined();
    expect(Object.values(ids)).not.toContain(afterIds.staging);
    expect((await get(`/api/v1/deployments/${ids.prod}`)).status).toBe(404);
    const patternsAfter = Object.fromEntries(
      (await get('/api/v1/patterns')).json.map((p: Json) => [p.name, p.id]),
    );
    expect(patternsAfter.CORE_DV_HLS).toBe(patternsBefore.CORE_DV_HLS);
    expect(patternsAfter['edge/daily']).toBe(patternsBefore['edge/daily']);
    expect(Object.values(patternsBefore)).not.toContain(patternsAfter.AAA_NEW);
  });

  it('serves the same files as DataTask templates, without their deployments', async () => {
    const listed = await request(`${server.url}/v2/task/list/templates`, 'GET');
    expect(listed.json.templates).toContain('CORE_DV_HLS.json');
    const template = await request(`${server.url}/v2/task/get/template`, 'POST', {
      template_path: 'CORE_DV_HLS.json',
    });
    expect(template.json).toEqual(HUB);
  });

  it("deploys a pattern's template to one of its KUBERNETES definitions and records where it came from", async () => {
    const [dev] = (await get('/api/v1/deployments?pattern=CORE_DV_HLS&name=dev')).json;
    const identity = { identity: 'dev@example.com' };
    const deployed = await request(
      `${server.url}/v2/task/deploy/with-configuration`,
      'POST',
      { template_path: 'CORE_DV_HLS.json', deployment: 'dev' },
      identity,
    );
    expect(deployed.status).toBe(202);
    expect(deployed.json).toMatchObject({ namespace: 'dv-dev', name: 'hub', kind: 'job' });
    const state = await request(`${server.url}/v1/task/state/${deployed.json.id}`, 'GET');
    expect(state.json.origin).toEqual({
      pattern: { id: dev.pattern_id, name: 'CORE_DV_HLS' },
      deployment: { id: dev.id, name: 'dev' },
    });
    const git = await request(
      `${server.url}/v2/task/deploy/with-configuration`,
      'POST',
      { template_path: 'CORE_DV_HLS.json', deployment: 'export' },
      identity,
    );
    expect(git.status).toBe(400);
    expect(git.json.message).toContain(
      "deployment 'export' of pattern 'CORE_DV_HLS' is a GIT definition",
    );
    const missing = await request(
      `${server.url}/v2/task/deploy/with-configuration`,
      'POST',
      { template_path: 'CORE_DV_HLS.json', deployment: 'nope' },
      identity,
    );
    expect(missing.status).toBe(404);
  });
});
