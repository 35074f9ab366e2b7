import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const NS = 'vars';

describe('a nullplatform release whose manifest sets NP_RELEASE itself, on Kubernetes', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo({
      'svc/manifest.json': manifest({
        name: 'api',
        type: 'service',
        'image-destination': 'registry.example.com/vars:1',
        env: [
          { name: 'NP_RELEASE', value: 'dev' },
          { name: 'GREETING', value: 'hello' },
        ],
      }),
    });
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  it("runs with Slipway's NP_RELEASE in place of the manifest's, each variable once", async () => {
    const app = (
      await server.api('POST', '/application', { name: 'vars', repository_url: repo.dir })
    ).json;
    const scope = (
      await server.api('POST', '/scope', {
        application_id: app.id,
        name: 'Production',
        namespace: NS,
        asset_name: 'api',
      })
    ).json;
    const build = (
      await server.api('POST', '/build', {
        application_id: app.id,
        commit: { id: repo.head() },
        branch: 'main',
        status: 'successful',
      })
    ).json;
    await server.api('POST', `/build/${build.id}/asset`, {
      name: 'api',
      type: 'directory',
      url: 'svc',
    });
    const release = (
      await server.api('POST', '/release', {
        status: 'active',
        build_id: build.id,
        application_id: app.id,
        semver: '1.2.3',
      })
    ).json;
    const created = (
      await server.api('POST', '/deployment', { scope_id: scope.id, release_id: release.id })
    ).json;
    // A real API server answers 500 to an apply naming a variable twice: the deploy would fail.
    const done: Json = await eventually(
      async () => {
        const d = (await server.api('GET', `/deployment/${created.id}?include_messages=true`)).json;
        return ['finalized', 'failed'].includes(d.status) ? d : undefined;
      },
      'the deployment to settle',
      30_000,
    );
    expect(done.status, JSON.stringify(done.messages)).toBe('finalized');
    const container = kube
      .objects('deployments', NS)
      .find((d) => d.metadata.name === `d-production-${created.id}`)?.spec.template.spec
      .containers[0];
    expect(container?.env).toEqual([
      { name: 'GREETING', value: 'hello' },
      { name: 'NP_RELEASE', value: '1.2.3' },
      { name: 'NP_DEPLOYMENT', value: String(created.id) },
    ]);
  });
});
