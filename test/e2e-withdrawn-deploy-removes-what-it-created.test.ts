import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { helloJob, slowJob, slowJobStarted, webService } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { freePort } from './helpers/ports.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * A withdrawn deploy leaves what ran before it: the job it started is stopped, and the service
 * it created goes too (before, it went on running though the deploy was STOPPED).
 */
let server: ServerProcess;
let repo: TestRepo;
let workspaceId: string;

beforeAll(async () => {
  repo = createRepo(helloJob());
  server = await startServer();
  workspaceId = (
    await server.api('POST', '/api/workspaces', { name: 'undo', repositoryUrl: repo.dir })
  ).json.id;
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

const running = async () => {
  const listed = (await server.api('GET', '/v1/list/tasks/undo')).json as Record<
    string,
    { name: string }[]
  >;
  return Object.fromEntries(
    Object.entries(listed).map(([kind, items]) => [kind, items.map((i) => i.name).sort()]),
  );
};

it('removes the service a withdrawn deploy created, and keeps what ran before', async () => {
  const first = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
  expect((await waitForJob(server, first.json.id)).status).toBe('COMPLETE');

  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-undo-')), 'runs');
  repo.commit({ ...slowJob('slow', marker, 60_000), ...webService('web', await freePort()) });
  const second = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
  await slowJobStarted(marker);
  expect((await running()).services).toEqual(['web']);

  expect((await server.api('PUT', `/api/jobs/${second.json.id}/stopped`)).status).toBe(202);
  expect((await waitForJob(server, second.json.id)).status).toBe('STOPPED');
  // The withdraw answers at once; the deploy then stops what it started.
  const removed = "service 'web' removed: it is new in this deploy, which was withdrawn";
  await eventually(
    async () => ((await jobLog(server, second.json.id)).includes(removed) ? true : undefined),
    'the deploy to remove the service',
    15_000,
  );
  const after = await running();
  expect(after.services ?? []).toEqual([]);
  expect(after.jobs).toEqual(['hello']);
});
