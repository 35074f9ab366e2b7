import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { git } from './helpers/git.js';
import { request, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

// DESIGN.md section 6: symlinks leaving the checkout are rejected (400). A manifest.json or
// pipeline.json that links to a file of the server's machine must neither be deployed nor be
// handed back by configuration loading.
describe('DataTask refuses unit files and directories that link out of the checkout', () => {
  let server: ServerProcess;
  const outside = mkdtempSync(path.join(os.tmpdir(), 'slipway-outside-'));

  beforeAll(async () => {
    writeFileSync(
      path.join(outside, 'manifest.json'),
      job('stolen', { lines: ['password=hunter2'] }),
    );
    writeFileSync(
      path.join(outside, 'pipeline.json'),
      JSON.stringify({ name: 'stolen', tasks: [] }),
    );
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-repos-'));
    const repo = repoIn(reposDir, 'flows', { 'tasks/ok/manifest.json': job('ok') });
    mkdirSync(path.join(repo.dir, 'tasks', 'lnk'));
    symlinkSync(
      path.join(outside, 'manifest.json'),
      path.join(repo.dir, 'tasks', 'lnk', 'manifest.json'),
    );
    mkdirSync(path.join(repo.dir, 'pipes', 'lnk'), { recursive: true });
    symlinkSync(
      path.join(outside, 'pipeline.json'),
      path.join(repo.dir, 'pipes', 'lnk', 'pipeline.json'),
    );
    // A link to a directory out there that does not exist (yet).
    symlinkSync(path.join(outside, 'not-yet'), path.join(repo.dir, 'tasks', 'gone'));
    git(repo.dir, 'add', '--all');
    git(repo.dir, 'commit', '--quiet', '-m', 'links');
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (method: string, route: string, body?: unknown) =>
    request(`${server.url}${route}`, method, body, ME);

  it('refuses to deploy a manifest.json that links outside (400), naming the file', async () => {
    const response = await call('GET', '/v1/task/deploy/flows/tasks%2Flnk');
    expect(response.status).toBe(400);
    expect(response.text).toContain(
      'file \\"tasks/lnk/manifest.json\\" leads outside the repository',
    );
    expect(response.text).not.toContain(outside);
    const list = await call('GET', '/v1/list/tasks/flows');
    expect(JSON.stringify(list.json)).not.toContain('stolen');
  });

  it('answers 400, not 404, for a directory linking to a missing place outside', async () => {
    const response = await call('GET', '/v1/task/deploy/flows/tasks%2Fgone');
    expect(response.status).toBe(400);
    expect(response.text).toContain('directory \\"tasks/gone\\" leads outside the repository');
    // A directory that is simply missing is still not found.
    expect((await call('GET', '/v1/task/deploy/flows/tasks%2Fnope')).status).toBe(404);
  });

  it.each([
    ['task', 'tasks%2Flnk', 'tasks/lnk/manifest.json'],
    ['pipeline', 'pipes%2Flnk', 'pipes/lnk/pipeline.json'],
  ])('does not load a %s configuration through a link', async (unit, directory, file) => {
    const loading = await call(
      'POST',
      `/v2/${unit}/load/configuration/from-git/flows/${directory}`,
    );
    expect(loading.status).toBe(202);
    const state = await eventually(async () => {
      const s = await call(
        'GET',
        `/v2/${unit}/get/configuration-loading-state/${loading.json.work_id}`,
      );
      return ['done', 'error'].includes(s.json.status) ? s.json : undefined;
    }, 'the configuration loading to end');
    expect(state.status).toBe('error');
    expect(state.error).toContain(`file "${file}" leads outside the repository`);
    expect(state.configuration).toBeUndefined();
    expect(JSON.stringify(state)).not.toContain('stolen');
  });

  it('still deploys a task whose files are inside', async () => {
    expect((await call('GET', '/v1/task/deploy/flows/tasks%2Fok')).status).toBe(202);
  });
});
