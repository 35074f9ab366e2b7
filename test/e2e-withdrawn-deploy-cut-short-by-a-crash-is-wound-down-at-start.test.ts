import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { pushToWorkspace } from './helpers/github-webhooks.js';
import { isAlive } from './helpers/local-runtime/harness.js';
import {
  crashAndRestart,
  eventually,
  jobLog,
  type ServerProcess,
  startServer,
} from './helpers/server.js';

/**
 * A withdrawn deploy stops the jobs it started and removes what it created; that takes a while
 * when a task ignores SIGTERM (the local runtime waits before it kills). A server killed in that
 * while used to leave the workspace PROVISIONING for good, and the next start brought the
 * withdrawn deploy's workloads back, with no one to stop them. The next start now winds the
 * withdrawn deploy down as it would have been, and settles the workspace READY.
 */
let server: ServerProcess;
let repo: TestRepo;
const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-stubborn-')), 'pids');
beforeAll(async () => {
  const stubborn = `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n'); process.on('SIGTERM', () => console.log('ignoring TERM')); setTimeout(() => {}, 120000)`;
  repo = createRepo({
    'tasks/stubborn/manifest.json': manifest({
      name: 'stubborn',
      type: 'job',
      cmd: ['node', '-e', stubborn],
    }),
    'tasks/idle/manifest.json': manifest({
      name: 'idle',
      type: 'deployment',
      cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
    }),
  });
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

const pids = () =>
  readFileSync(marker, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean).map(Number);

it('stops what the withdrawn deploy started, removes what it created, and settles the workspace', async () => {
  const ws = await server.api('POST', '/api/workspaces', { name: 'cut', repositoryUrl: repo.dir });
  const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
  await eventually(async () => (pids().length > 0 ? true : undefined), 'the stubborn job to run');
  // Withdrawn during a freeze, as the README suggests: a push the pause held is then the
  // workspace's newest job, and it never ran; the deploy to wind down is still the one above.
  await server.api('PUT', `/api/workspaces/${ws.json.id}/paused`, { reason: 'incident' });
  const held = await pushToWorkspace(server, ws.json, { after: repo.head() });
  expect(held.json.status).toBe('STOPPED');
  const withdrawn = await server.api('PUT', `/api/jobs/${queued.json.id}/stopped`);
  expect(withdrawn.status).toBe(202);
  // The runtime waits for the stubborn task to heed SIGTERM: the server dies in that wait.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  server = await crashAndRestart(server);

  const settled = await eventually(
    async () => {
      const found = (await server.api('GET', `/api/workspaces/${ws.json.id}`)).json;
      return found.status !== 'PROVISIONING' ? found : undefined;
    },
    'the workspace to be settled',
    30_000,
  );
  expect(settled.status).toBe('READY');
  await eventually(
    async () => (pids().every((pid) => !isAlive(pid)) ? true : undefined),
    'every run of the stubborn job to be stopped',
    20_000,
  );
  const log = await jobLog(server, queued.json.id);
  expect(log).toContain("deployment 'idle' removed: it is new in this deploy, which was withdrawn");
  const pods = (
    await server.api('GET', '/v1/list/pods', undefined, { identity: 'dev@example.com' })
  ).json;
  expect(JSON.stringify(pods)).not.toMatch(/idle|stubborn/);
});
