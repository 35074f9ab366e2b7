import { afterAll, beforeAll, expect, it } from 'vitest';
import { deploymentIn, serviceFiles } from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * nullplatform's own examples quote ids (`"scope_id": "<scope_id>"`, `"build_id": "<build_id>"`):
 * a client written from them sends strings of digits, and gets the same answers as with numbers.
 * Anything else in an id's place is still refused, naming the field.
 */
let server: ServerProcess;
let repo: TestRepo;
beforeAll(async () => {
  repo = createRepo(serviceFiles());
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

it('deploys a release whose every id was sent as a string', async () => {
  const app = await server.api('POST', '/application', {
    name: 'quoted',
    repository_url: repo.dir,
  });
  expect(app.status, app.text).toBe(201);
  const appId = String(app.json.id);
  const build = await server.api('POST', '/build', {
    application_id: appId,
    commit: { id: repo.head() },
    status: 'successful',
  });
  expect(build.status, build.text).toBe(201);
  expect(build.json.application_id).toBe(app.json.id);
  const asset = await server.api('POST', `/build/${build.json.id}/asset`, {
    name: 'api',
    type: 'directory',
    url: 'svc',
  });
  expect(asset.status, asset.text).toBe(201);
  const release = await server.api('POST', '/release', {
    status: 'active',
    build_id: String(build.json.id),
    application_id: appId,
    semver: '1.0.0',
  });
  expect(release.status, release.text).toBe(201);
  const scope = await server.api('POST', '/scope', {
    application_id: appId,
    name: 'Production',
    asset_name: 'api',
    capabilities: { health_check: { initial_delay_seconds: 0, period_seconds: 1 } },
  });
  expect(scope.status, scope.text).toBe(201);
  const created = await server.api('POST', '/deployment', {
    scope_id: String(scope.json.id),
    release_id: String(release.json.id),
  });
  expect(created.status, created.text).toBe(201);
  expect(created.json.scope_id).toBe(scope.json.id);
  expect(created.json.release_id).toBe(release.json.id);
  const done = await deploymentIn(server, created.json.id, ['finalized', 'failed']);
  expect(done.status, JSON.stringify(done.messages)).toBe('finalized');
});

it('refuses a string that is not an id, naming the field and the value', async () => {
  for (const value of ['abc', '0', '1.5', '-3', ' 7']) {
    const answer = await server.api('POST', '/deployment', { scope_id: value, release_id: 1 });
    expect(answer.status, value).toBe(400);
    expect(answer.json.message).toContain(
      `"scope_id" is ${JSON.stringify(value)}; expected the integer id of a scope`,
    );
  }
});
