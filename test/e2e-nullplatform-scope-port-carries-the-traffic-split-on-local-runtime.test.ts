import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRelease,
  deploymentIn,
  productionScope,
  serviceFiles,
} from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { hammer } from './helpers/hammer.js';
import { freePort } from './helpers/ports.js';
import { type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * On the local runtime a scope's `port` is where its weighted proxy listens (DESIGN.md 5): the
 * releases run on other ports, so that a client of the scope's port gets the traffic split, not
 * whichever release started first.
 */
describe("a scope's port on the local runtime", () => {
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

  it('is the address of the split, from the first release on', async () => {
    const port = await freePort();
    const app = (
      await server.api('POST', '/application', { name: 'shop', repository_url: repo.dir })
    ).json;
    const base = productionScope(app.id);
    const scope = (
      await server.api('POST', '/scope', {
        ...base,
        capabilities: { ...(base.capabilities as object), port },
      })
    ).json;
    const deploy = async (semver: string, commit: string): Promise<Json> => {
      const release = await createRelease(server, app.id, commit, semver);
      const created = await server.api('POST', '/deployment', {
        scope_id: scope.id,
        release_id: release.id,
      });
      expect(created.status, created.text).toBe(201);
      return created.json;
    };

    const first = await deploy('1.0.0', repo.head());
    expect((await deploymentIn(server, first.id, ['finalized', 'failed'])).status).toBe(
      'finalized',
    );
    const url = `http://127.0.0.1:${port}`;
    expect((await server.api('GET', `/scope/${scope.id}`)).json.address).toBe(url);
    expect((await hammer(url, 20)).answers).toEqual({ '1.0.0': 20 });

    const second = await deploy('1.1.0', repo.commit({ 'svc/CHANGELOG': '1.1.0\n' }));
    expect((await deploymentIn(server, second.id, ['running', 'failed'])).status).toBe('running');
    // Beside the active release, the new one has none of the scope's port's traffic yet.
    expect((await hammer(url, 20)).answers).toEqual({ '1.0.0': 20 });
    const patched = await server.api('PATCH', `/deployment/${second.id}`, {
      strategy_data: { desired_switched_traffic: 100 },
    });
    expect(patched.status).toBe(204);
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${second.id}`)).json.strategy_data
          .switched_traffic === 100 || undefined,
      'all traffic on 1.1.0',
    );
    expect((await hammer(url, 20)).answers).toEqual({ '1.1.0': 20 });
  });
});
