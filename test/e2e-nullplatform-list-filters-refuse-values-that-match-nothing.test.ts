import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';

const DEPLOYMENT_STATUSES =
  'creating, waiting_for_instances, running, finalizing, finalized, cancelling, cancelled, failed, rolling_back, rolled_back, deleting, deleted';

/**
 * A list filter whose value no record can hold (a status outside the vocabulary, an id that is
 * not a positive integer, a semver that is not one) is a mistake in the request: a 400 that
 * names the value and what is expected, in nullplatform's `{message}` shape, rather than an
 * empty page that reads as "there are none".
 */
describe('nullplatform list filters', () => {
  let server: ServerProcess;
  let app: Json;

  beforeAll(async () => {
    server = await startServer();
    app = (await server.api('POST', '/application', { name: 'shop' })).json;
    await server.api('POST', '/build', { application_id: app.id, status: 'successful' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function refused(route: string): Promise<string> {
    const answer = await server.api('GET', route);
    expect(answer.status, `${route}: ${answer.text}`).toBe(400);
    expect(Object.keys(answer.json)).toEqual(['message']);
    return answer.json.message;
  }

  it('refuse a status outside the vocabulary, naming the value and the statuses', async () => {
    expect(await refused('/deployment?status=bogus')).toBe(
      `query "status" is "bogus"; expected one of ${DEPLOYMENT_STATUSES}`,
    );
    // The vocabulary is lower case (DESIGN.md 3): a status in another case is no status.
    expect(await refused('/deployment?status=Running')).toBe(
      `query "status" is "Running"; expected one of ${DEPLOYMENT_STATUSES}`,
    );
    expect(await refused('/deployment?status=')).toContain('query "status" is ""; expected one of');
    expect(await refused('/build?status=done')).toBe(
      'query "status" is "done"; expected one of pending, in_progress, successful, failed, cancelled',
    );
    expect(await refused('/release?status=live')).toBe(
      'query "status" is "live"; expected one of active, inactive, deprecated',
    );
    expect(await refused('/application?status=inactive')).toBe(
      'query "status" is "inactive"; expected one of active',
    );
  });

  it('refuse an id that is not a positive integer, and a semver that is not one', async () => {
    expect(await refused('/deployment?scope_id=0')).toBe(
      'query "scope_id" is "0"; expected a positive integer id',
    );
    expect(await refused('/deployment?release_id=-1')).toBe(
      'query "release_id" is "-1"; expected a positive integer id',
    );
    expect(await refused('/build?application_id=abc')).toBe(
      'query "application_id" is "abc"; expected a positive integer id',
    );
    expect(await refused('/release?build_id=1.5')).toBe(
      'query "build_id" is "1.5"; expected a positive integer id',
    );
    expect(await refused('/scope?application_id=')).toBe(
      'query "application_id" is ""; expected a positive integer id',
    );
    expect(await refused('/release?semver=1.2')).toBe(
      'query "semver" is "1.2"; expected a semantic version such as 1.2.0 (MAJOR.MINOR.PATCH)',
    );
    // A path id says the same.
    expect((await server.api('GET', '/deployment/0')).json).toEqual({
      message: '"id" is "0"; expected a positive integer id',
    });
  });

  it('still filter by values that can match, found or not', async () => {
    const builds = await server.api('GET', `/build?application_id=${app.id}&status=successful`);
    expect(builds.status).toBe(200);
    expect(builds.json.results.map((b: Json) => b.status)).toEqual(['successful']);
    const none = await server.api('GET', '/build?status=failed');
    expect(none.json).toEqual({ paging: { total: 0, offset: 0, limit: 30 }, results: [] });
    for (const route of [
      '/deployment?status=rolled_back&scope_id=7',
      '/release?status=active&semver=1.2.0-rc.1',
      '/application?status=active&name=nothing',
      '/scope?application_id=1&name=Production',
    ]) {
      const answer = await server.api('GET', route);
      expect(answer.status, `${route}: ${answer.text}`).toBe(200);
    }
  });
});
