import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelease, deploymentIn, productionScope } from './fixtures/np-service.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const IMAGE_EXPECTED =
  'expected a docker image reference, registry/name[:tag][@digest], such as registry.example.com/shop/api:1.2.0';
const DIRECTORY_EXPECTED =
  'expected a relative path inside the repository, such as svc or services/api, without ".." segments';

/**
 * A build's asset says what a release runs: a `docker-image` is an image reference, a
 * `directory` a relative path inside the application's repository (DESIGN.md 6). Both are
 * checked when the asset is added, with a 400 naming the field, the value and what is expected,
 * instead of a deployment failing later, asynchronously, on a value that never could work.
 */
describe('nullplatform asset urls', () => {
  let server: ServerProcess;
  let build: Json;
  let repo: TestRepo | undefined;

  beforeAll(async () => {
    server = await startServer();
    const app = (await server.api('POST', '/application', { name: 'shop' })).json;
    build = (await server.api('POST', '/build', { application_id: app.id })).json;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  let names = 0;
  async function addAsset(type: string, url: string) {
    names += 1;
    return server.api('POST', `/build/${build.id}/asset`, { name: `a${names}`, type, url });
  }

  async function refused(type: string, url: string, expected: string): Promise<void> {
    const answer = await addAsset(type, url);
    expect(answer.status, `${type} ${url}: ${answer.text}`).toBe(400);
    expect(answer.json.message).toBe(
      `request body is invalid: "url" is ${JSON.stringify(url)}; ${expected}`,
    );
  }

  it('refuses a docker-image url that is not an image reference', async () => {
    for (const url of [
      'not a url',
      'https://registry.example.com/shop:1.0.0',
      'Shop/API:1',
      'shop:',
      'shop:tag with space',
      `shop@${DIGEST.slice(0, 20)}`,
      'registry.example.com//shop',
      'shop/',
    ]) {
      await refused('docker-image', url, IMAGE_EXPECTED);
    }
    // Past 255 characters before the tag, a name is too long for a registry.
    const long = await addAsset('docker-image', `${'a'.repeat(251)}/shop:1`);
    expect(long.status).toBe(400);
    expect(long.json.message).toContain(IMAGE_EXPECTED);
    expect((await addAsset('docker-image', `${'a'.repeat(250)}/shop:1`)).status).toBe(201);
  });

  it('accepts image references with a registry, a port, a tag and a digest', async () => {
    for (const url of [
      'nginx',
      'nginx:1.27-alpine',
      'library/nginx:latest',
      'registry.example.com/shop:1.0.0',
      'localhost:5000/team/shop_api/v2:1.2.0-rc.1',
      `ghcr.io/org/app@${DIGEST}`,
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1@${DIGEST}`,
    ]) {
      const answer = await addAsset('docker-image', url);
      expect(answer.status, `${url}: ${answer.text}`).toBe(201);
      expect(answer.json).toMatchObject({ type: 'docker-image', url });
    }
  });

  it('refuses a directory outside the repository', async () => {
    for (const url of ['../../etc', 'svc/../..', '..', '/etc', 'svc\\..\\..', 'svc/\u0000']) {
      await refused('directory', url, DIRECTORY_EXPECTED);
    }
  });

  it('accepts a directory of the repository, and stores no refused asset', async () => {
    for (const url of ['svc', './svc', 'services/api/', '.', 'a..b/c']) {
      const answer = await addAsset('directory', url);
      expect(answer.status, `${url}: ${answer.text}`).toBe(201);
    }
    const stored = (await server.api('GET', `/build/${build.id}`)).json.assets as Json[];
    expect(stored.map((a) => a.url)).not.toContain('../../etc');
    expect(stored.map((a) => a.url)).not.toContain('not a url');
  });

  it('refuses a directory asset on a build with an abbreviated commit id, which git cannot fetch', async () => {
    const short = (
      await server.api('POST', '/build', {
        application_id: build.application_id,
        commit: { id: '668f5da' },
        branch: 'main',
      })
    ).json;
    const directory = await server.api('POST', `/build/${short.id}/asset`, {
      name: 'api',
      type: 'directory',
      url: 'svc',
    });
    expect(directory.status).toBe(400);
    expect(directory.json.message).toBe(
      `build ${short.id}'s "commit.id" is "668f5da", but asset 'api' is a directory, fetched from git at the build's commit; expected the build made with the full 40-hex commit id`,
    );
    // An image's build may keep the short id: it only describes the build.
    const image = await server.api('POST', `/build/${short.id}/asset`, {
      name: 'image',
      type: 'docker-image',
      url: 'registry.example.com/shop:1.0.0',
    });
    expect(image.status, image.text).toBe(201);
  });

  it('fails a deployment of a directory holding a job at once, saying a scope runs a service', async () => {
    repo = createRepo({
      'svc/manifest.json': manifest({ name: 'api', type: 'job', cmd: ['node', '-e', '0'] }),
    });
    const app = (
      await server.api('POST', '/application', { name: 'batch', repository_url: repo.dir })
    ).json;
    const scope = (await server.api('POST', '/scope', productionScope(app.id))).json;
    const release = await createRelease(server, app.id, repo.head(), '1.0.0');
    const created = await server.api('POST', '/deployment', {
      scope_id: scope.id,
      release_id: release.id,
    });
    expect(created.status, created.text).toBe(201);
    const failed = await deploymentIn(server, created.json.id, ['failed', 'finalized']);
    expect(failed.status).toBe('failed');
    expect(failed.messages.map((m: Json) => m.message).join('\n')).toContain(
      `asset 'api' is a job (svc/manifest.json says "type": "job"); a scope runs its release until another replaces it: expected "type": "service" (or "deployment")`,
    );
  });

  it('refuses an application whose repository_path leaves the repository', async () => {
    const answer = await server.api('POST', '/application', {
      name: 'escape',
      repository_path: '../elsewhere',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      `request body is invalid: "repository_path" is "../elsewhere"; ${DIRECTORY_EXPECTED}`,
    );
  });
});
