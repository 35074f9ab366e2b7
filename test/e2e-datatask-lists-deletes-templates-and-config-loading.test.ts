import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, diamond, job, repoIn, service } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import {
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

describe('DataTask lists, deletes, templates and configuration loading', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-lists-'));
    repoIn(reposDir, 'shop', {
      'tasks/once/manifest.json': job('once'),
      'tasks/nightly/manifest.json': job('nightly'),
      'tasks/worker/manifest.json': deployment('worker'),
      'tasks/web/manifest.json': service('web'),
      'tasks/bad/manifest.json': manifest({ name: 'bad', type: 'job', cmd: 'not an array' }),
      'pipelines/diamond/pipeline.json': diamond('shop'),
    });
    const templatesDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-templates-'));
    mkdirSync(path.join(templatesDir, 'etl'));
    writeFileSync(
      path.join(templatesDir, 'etl/extract.json'),
      JSON.stringify({ name: 'extract', type: 'job', cmd: ['run'] }),
    );
    writeFileSync(path.join(templatesDir, 'daily.json'), diamond('shop', 'daily'));
    writeFileSync(path.join(templatesDir, 'broken.json'), '{ not json');
    writeFileSync(path.join(os.tmpdir(), 'outside-template.json'), '{"secret": true}');
    server = await startServer({ reposDir, env: { SLIPWAY_TEMPLATES_DIR: templatesDir } });

    const deploys = [
      await call('GET', '/v1/task/deploy/shop/tasks%2Fonce'),
      await call('POST', '/v2/task/elaborate/deploy/shop/tasks%2Fnightly', {
        schedule: '0 1 * * *',
      }),
      await call('GET', '/v1/task/deploy/shop/tasks%2Fworker'),
      await call('GET', '/v1/task/deploy/shop/tasks%2Fweb'),
    ];
    for (const deployed of deploys)
      expect((await waitForJob(server, deployed.json.id)).status).toBe('COMPLETE');
  });
  afterAll(async () => {
    await server?.stop();
  });

  function call(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = ME,
  ) {
    return request(`${server.url}${route}`, method, body, headers);
  }

  it('lists namespaces, tasks by kind and pods from the runtime', async () => {
    expect((await call('GET', '/v1/list/namespaces')).json.namespaces).toContain('shop');
    const all = await call('GET', '/v1/list/tasks');
    const names = (list: Json[]) => list.map((t) => t.name);
    expect(names(all.json.jobs)).toContain('once');
    expect(names(all.json.cronJobs)).toContain('nightly');
    expect(names(all.json.deployments)).toContain('worker');
    expect(names(all.json.services)).toContain('web');
    const shop = await call('GET', '/v1/list/tasks/shop');
    expect(names(shop.json.services)).toEqual(['web']);
    expect((await call('GET', '/v1/list/tasks/elsewhere')).json).toEqual({
      jobs: [],
      cronJobs: [],
      deployments: [],
      services: [],
    });
    const pods = await call('GET', '/v1/list/pods/shop');
    const running = pods.json.pods
      .filter((p: Json) => p.phase === 'Running')
      .map((p: Json) => p.workload.name)
      .sort();
    expect(running).toEqual(['web', 'worker']);
    expect((await call('GET', '/v1/list/pods')).json.pods.length).toBeGreaterThanOrEqual(2);
  });

  it('deletes each kind in a namespace, stopping it, and answers 404 naming a missing one', async () => {
    for (const [kind, name] of [
      ['job', 'once'],
      ['cronjob', 'nightly'],
      ['deployment', 'worker'],
      ['service', 'web'],
    ]) {
      const deleted = await call('GET', `/v1/delete/${kind}/shop/${name}`);
      expect(deleted.status, `${kind} ${name}`).toBe(200);
      expect(deleted.json).toEqual({ deleted: { kind, namespace: 'shop', name } });
      const again = await call('POST', `/v1/delete/${kind}/shop/${name}`);
      expect(again.status).toBe(404);
      expect(again.json.message).toBe(`${kind} '${name}' not found in namespace 'shop'`);
    }
    expect((await call('GET', '/v1/list/tasks/shop')).json).toEqual({
      jobs: [],
      cronJobs: [],
      deployments: [],
      services: [],
    });
    const pods = await call('GET', '/v1/list/pods/shop');
    expect(pods.json.pods.filter((p: Json) => p.phase === 'Running')).toEqual([]);
  });

  it('serves templates from SLIPWAY_TEMPLATES_DIR, by kind, refusing paths that leave it', async () => {
    expect((await call('GET', '/v2/task/list/templates')).json.templates).toEqual([
      'etl/extract.json',
    ]);
    expect((await call('GET', '/v2/pipeline/list/templates')).json.templates).toEqual([
      'daily.json',
    ]);
    const task = await call('POST', '/v2/task/get/template', { template_path: 'etl/extract.json' });
    expect(task.json).toEqual({ name: 'extract', type: 'job', cmd: ['run'] });
    const form = await call(
      'POST',
      '/v2/pipeline/get/template',
      new URLSearchParams({ template_path: 'daily.json' }).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(form.json.name).toBe('daily');
    const cases: Array<[string, string, number, RegExp]> = [
      ['task', '../outside-template.json', 400, /contains "\.\."/],
      ['task', '/etc/passwd', 400, /is absolute/],
      ['task', 'missing.json', 404, /template 'missing.json' not found/],
      ['pipeline', 'etl/extract.json', 404, /is a task template, not a pipeline template/],
    ];
    for (const [unit, templatePath, status, message] of cases) {
      const response = await call('POST', `/v2/${unit}/get/template`, {
        template_path: templatePath,
      });
      expect(response.status, templatePath).toBe(status);
      expect(response.json.message).toMatch(message);
    }
    expect((await call('POST', '/v2/task/get/template', {})).json.message).toMatch(
      /"template_path" is missing/,
    );
  });

  it('loads a configuration from git: pending or running, then done with it, or error saying why', async () => {
    const states = async (unit: string, id: string) =>
      eventually(async () => {
        const state = await call('GET', `/v2/${unit}/get/configuration-loading-state/${id}`);
        return ['done', 'error'].includes(state.json.status) ? state.json : undefined;
      }, `work ${id} to end`);
    const task = await call('POST', '/v2/task/load/configuration/from-git/shop/tasks%2Fonce', {
      branch: 'master',
    });
    expect(task.status).toBe(202);
    expect(Object.keys(task.json)).toEqual(['work_id']);
    const first = await call(
      'GET',
      `/v2/task/get/configuration-loading-state/${task.json.work_id}`,
    );
    expect(['pending', 'running', 'done']).toContain(first.json.status);
    const done = await states('task', task.json.work_id);
    expect(done).toMatchObject({
      work_id: task.json.work_id,
      status: 'done',
      configuration: { name: 'once', type: 'job' },
    });

    const pipeline = await call(
      'POST',
      '/v2/pipeline/load/configuration/from-git/shop/pipelines%2Fdiamond',
    );
    expect((await states('pipeline', pipeline.json.work_id)).configuration.tasks).toHaveLength(4);

    const bad = await call('POST', '/v2/task/load/configuration/from-git/shop/tasks%2Fbad');
    const failed = await states('task', bad.json.work_id);
    expect(failed.status).toBe('error');
    expect(failed.error).toContain('"cmd" is "not an array"');
    // A work id of the other kind, or unknown, is not found.
    expect(
      (await call('GET', `/v2/pipeline/get/configuration-loading-state/${task.json.work_id}`))
        .status,
    ).toBe(404);
    expect((await call('GET', '/v2/task/get/configuration-loading-state/nope')).status).toBe(404);
  });

  it('deploys a loaded configuration back with repository and directory', async () => {
    const loaded = await call('POST', '/v2/task/load/configuration/from-git/shop/tasks%2Fonce');
    const state = await eventually(async () => {
      const s = await call(
        'GET',
        `/v2/task/get/configuration-loading-state/${loaded.json.work_id}`,
      );
      return s.json.status === 'done' ? s.json : undefined;
    }, 'the configuration');
    const configuration = { ...state.configuration, name: 'once-edited' };
    const deployed = await call('POST', '/v2/task/deploy/with-configuration', {
      namespace: 'edited',
      configuration,
      repository: 'shop',
      directory: 'tasks/once',
    });
    expect(deployed.json).toMatchObject({ namespace: 'edited', name: 'once-edited', kind: 'job' });
    expect((await waitForJob(server, deployed.json.id)).status).toBe('COMPLETE');
  });
});
