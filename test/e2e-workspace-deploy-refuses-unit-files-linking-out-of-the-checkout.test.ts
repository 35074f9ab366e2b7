import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/**
 * README: "A manifest.json, pipeline.json or directory that is a symlink leading out of the
 * repository is refused". A workspace deploy used to walk past such a file without a word: the
 * task was left out (and a task deployed before from there would have been pruned). It is a
 * problem of the deploy now, listed with the others, and nothing is applied. A unit file that
 * links to a file inside the repository is read where it leads.
 */
let server: ServerProcess;
let repo: TestRepo;
const outside = mkdtempSync(path.join(os.tmpdir(), 'slipway-outside-'));
beforeAll(async () => {
  writeFileSync(
    path.join(outside, 'manifest.json'),
    manifest({ name: 'stolen', type: 'job', cmd: ['node', '-e', 'console.log("stolen")'] }),
  );
  repo = createRepo({
    ...helloJob('ok'),
    'shared/web.json': manifest({
      name: 'linked',
      type: 'job',
      cmd: ['node', '-e', 'console.log("linked inside")'],
    }),
  });
  mkdirSync(path.join(repo.dir, 'tasks', 'inner'));
  symlinkSync('../../shared/web.json', path.join(repo.dir, 'tasks', 'inner', 'manifest.json'));
  mkdirSync(path.join(repo.dir, 'tasks', 'stolen'));
  symlinkSync(
    path.join(outside, 'manifest.json'),
    path.join(repo.dir, 'tasks', 'stolen', 'manifest.json'),
  );
  repo.commit({}, 'links');
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
  rmSync(outside, { recursive: true, force: true });
});

it('fails the deploy naming the link, applies nothing, and deploys a link inside the repository', async () => {
  const ws = await server.api('POST', '/api/workspaces', {
    name: 'links',
    repositoryUrl: repo.dir,
  });
  const refused = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
  const failed = await waitForJob(server, refused.json.id);
  expect(failed.status).toBe('ERROR');
  expect(failed.result.problems).toEqual([
    {
      file: 'tasks/stolen/manifest.json',
      message:
        'file "tasks/stolen/manifest.json" leads outside the repository; expected a file inside the repository',
    },
  ]);
  const log = await jobLog(server, refused.json.id);
  expect(log).not.toContain('stolen"');
  expect(log).not.toMatch(/job '(ok|linked)' (created|would be created)/);

  repo.commit({ 'tasks/stolen': null }, 'drop the link out');
  const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
  const done = await waitForJob(server, queued.json.id);
  expect(done.status, await jobLog(server, queued.json.id)).toBe('COMPLETE');
  const deployed = await jobLog(server, queued.json.id);
  expect(deployed).toContain('linked inside');
  expect(deployed).toContain('hello from slipway');
});
