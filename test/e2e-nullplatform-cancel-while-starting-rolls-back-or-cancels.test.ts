import { afterAll, describe, expect, it } from 'vitest';
import {
  createRelease,
  deploymentIn,
  productionScope,
  serviceFiles,
} from './fixtures/np-service.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { hammer } from './helpers/hammer.js';
import {
  crashAndRestart,
  type Json,
  type ServerProcess,
  type StartOptions,
  startServer,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * DESIGN.md 7.4: a deployment may be cancelled while it is `creating` or `waiting_for_instances`,
 * not only once it runs. The cancel withdraws the launch; the deployment ends `rolled_back`
 * (blue-green: the active release keeps all traffic) or `cancelled` (initial), never `failed`.
 */
describe('a deployment cancelled before its instances are healthy', () => {
  const servers: ServerProcess[] = [];
  const repos: TestRepo[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const repo of repos) repo.cleanup();
  });

  /** A server and the application `shop` of a repository holding a healthy service. */
  async function shop(options: StartOptions = {}) {
    const repo = createRepo(serviceFiles());
    repos.push(repo);
    let current = await startServer(options);
    servers.push(current);
    const api = async (method: string, route: string, body?: unknown) => {
      const answer = await current.api(method, route, body);
      expect(answer.status, `${method} ${route}: ${answer.text}`).toBeLessThan(300);
      return answer.json;
    };
    const app = await api('POST', '/application', { name: 'shop', repository_url: repo.dir });
    let releases = 0;
    return {
      repo,
      api,
      scope: (name: string) => api('POST', '/scope', { ...productionScope(app.id), name }),
      /** A release of `commit` deployed on `scope`. */
      async deploy(scope: Json, commit: string): Promise<Json> {
        releases += 1;
        const release = await createRelease(current, app.id, commit, `1.${releases}.0`);
        return api('POST', '/deployment', { scope_id: scope.id, release_id: release.id });
      },
      deploymentIn: (id: number, statuses: string[]) => deploymentIn(current, id, statuses),
      /** The names of the services running in the application's namespace. */
      async services(namespace: string): Promise<string[]> {
        const listed = await api('GET', `/v1/list/tasks/${namespace}`);
        return (listed.services as Json[]).map((s) => s.name).sort();
      },
      async crash(): Promise<void> {
        current = await crashAndRestart(current);
        servers.push(current);
      },
    };
  }

  /** Waits for an ended status, and says what the deployment's messages were when it is wrong. */
  async function expectEnded(
    np: Awaited<ReturnType<typeof shop>>,
    id: number,
    status: string,
  ): Promise<Json> {
    const ended = await np.deploymentIn(id, ['rolled_back', 'cancelled', 'failed', 'finalized']);
    expect(ended.status, JSON.stringify(ended.messages, null, 1)).toBe(status);
    expect(ended.messages.filter((m: Json) => m.level === 'error')).toEqual([]);
    return ended;
  }

  it('blue-green, waiting for instances: rolled back, the active release keeps all traffic', async () => {
    const np = await shop();
    const scope = await np.scope('Production');
    const first = await np.deploy(scope, np.repo.head());
    await np.deploymentIn(first.id, ['finalized']);
    // Never healthy: the launch waits (up to max_startup_seconds, 30 s) for the cancel.
    const second = await np.deploy(scope, np.repo.commit(serviceFiles(500), 'unhealthy'));
    expect(second.strategy).toBe('blue_green');
    await np.deploymentIn(second.id, ['waiting_for_instances']);

    await np.api('PATCH', `/deployment/${second.id}`, { status: 'cancelling' });

    const ended = await expectEnded(np, second.id, 'rolled_back');
    expect(ended.strategy_data).toMatchObject({ switched_traffic: 0, desired_switched_traffic: 0 });
    const now = await np.api('GET', `/scope/${scope.id}`);
    expect(now.active_deployment).toBe(first.id);
    expect((await np.api('GET', `/deployment/${first.id}`)).status).toBe('finalized');
    expect(await hammer(now.address, 20)).toEqual({ answers: { '1.1.0': 20 }, failures: 0 });
    expect(await np.services(now.namespace)).toEqual([`d-production-${first.id}`]);
  });

  it('initial, creating or waiting for instances: cancelled, nothing left running', async () => {
    // One worker: the staging launch stays queued (`creating`) behind production's launch,
    // which waits for instances that never pass their health check.
    const np = await shop({ env: { SLIPWAY_WORKERS: '1' } });
    np.repo.commit(serviceFiles(500), 'unhealthy');
    const production = await np.scope('Production');
    const staging = await np.scope('Staging');
    const waiting = await np.deploy(production, np.repo.head());
    await np.deploymentIn(waiting.id, ['waiting_for_instances']);
    const creating = await np.deploy(staging, np.repo.head());
    expect(creating).toMatchObject({ status: 'creating', strategy: 'initial' });
    expect((await np.api('GET', `/deployment/${creating.id}`)).status).toBe('creating');

    await np.api('PATCH', `/deployment/${creating.id}`, { status: 'cancelling' });
    await np.api('PATCH', `/deployment/${waiting.id}`, { status: 'cancelling' });

    await expectEnded(np, creating.id, 'cancelled');
    await expectEnded(np, waiting.id, 'cancelled');
    expect(await np.services(production.namespace)).toEqual([]);
    // A cancelled initial deployment leaves the scope empty: the next one is initial again.
    const next = await np.deploy(staging, np.repo.commit(serviceFiles(), 'healthy'));
    expect(next.strategy).toBe('initial');
    await expectEnded(np, next.id, 'finalized');
  });

  it('blue-green, killed right after the cancel: rolled back after the restart', async () => {
    const np = await shop();
    const scope = await np.scope('Production');
    const first = await np.deploy(scope, np.repo.head());
    await np.deploymentIn(first.id, ['finalized']);
    const second = await np.deploy(scope, np.repo.commit(serviceFiles(500), 'unhealthy'));
    await np.deploymentIn(second.id, ['waiting_for_instances']);

    await np.api('PATCH', `/deployment/${second.id}`, { status: 'cancelling' });
    await np.crash();

    await expectEnded(np, second.id, 'rolled_back');
    const now = await np.api('GET', `/scope/${scope.id}`);
    expect(now.active_deployment).toBe(first.id);
    // The local runtime starts the active release again after the restart.
    await eventually(async () => {
      const answer = await fetch(now.address).catch(() => undefined);
      return answer?.status === 200 ? true : undefined;
    }, 'the active release to answer');
    expect(await hammer(now.address, 20)).toEqual({ answers: { '1.1.0': 20 }, failures: 0 });
    expect(await np.services(now.namespace)).toEqual([`d-production-${first.id}`]);
  });
});
