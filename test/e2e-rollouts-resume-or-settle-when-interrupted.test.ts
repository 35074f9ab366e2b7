import { afterAll, describe, expect, it } from 'vitest';
import {
  createRelease,
  deploymentIn,
  productionScope,
  serviceFiles,
} from './fixtures/np-service.js';
import { createRepo } from './helpers/git.js';
import { crashAndRestart, type Json, type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * A blue-green step is a `ROLLOUT` job: when Slipway dies in the middle of one, the job runs
 * again and the deployment goes on from where it stood; when the job ends for good without
 * completing, its deployment is failed rather than left half way.
 */
describe('rollouts interrupted half way', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  /** A server, an application of `files`, its production scope, and a release per call. */
  async function shop(files: Record<string, string>) {
    const repo = createRepo(files);
    const server = await startServer();
    servers.push(server);
    let current = server;
    const api = async (method: string, route: string, body?: unknown) => {
      const answer = await current.api(method, route, body);
      expect(answer.status, `${method} ${route}: ${answer.text}`).toBeLessThan(300);
      return answer.json;
    };
    const app = await api('POST', '/application', { name: 'shop', repository_url: repo.dir });
    const scope = await api('POST', '/scope', productionScope(app.id));
    let builds = 0;
    return {
      repo,
      scope,
      api,
      server: () => current,
      /** A release of the repository's head (or `commit`), deployed on the scope. */
      async deploy(commit = repo.head()): Promise<Json> {
        builds += 1;
        const release = await createRelease(current, app.id, commit, `1.${builds}.0`);
        return api('POST', '/deployment', { scope_id: scope.id, release_id: release.id });
      },
      deploymentIn: (id: number, statuses: string[]) => deploymentIn(current, id, statuses),
      /** SIGKILL, then the same data directory and port again. */
      async crash(): Promise<void> {
        current = await crashAndRestart(current);
        servers.push(current);
      },
    };
  }

  it('a cancel killed while traffic goes back resumes after the restart and ends rolled back', async () => {
    const np = await shop(serviceFiles());
    const first = await np.deploy();
    await np.deploymentIn(first.id, ['finalized']);
    const second = await np.deploy(np.repo.commit({ 'svc/CHANGELOG': 'two\n' }));
    await np.deploymentIn(second.id, ['running']);
    await np.api('PATCH', `/deployment/${second.id}`, { status: 'cancelling' });
    // Traffic is back on the active release; the requests already sent drain for 2 s.
    await np.deploymentIn(second.id, ['rolling_back']);
    await np.crash();

    const ended = await np.deploymentIn(second.id, ['rolled_back', 'failed']);
    expect(ended.status, JSON.stringify(ended.messages)).toBe('rolled_back');
    const address = (await np.api('GET', `/scope/${np.scope.id}`)).address;
    // The local runtime starts its services again after the restart: the active release
    // answers once its instance is ready again, and it answers alone.
    const answer = await eventually(async () => {
      const response = await fetch(address).catch(() => undefined);
      return response?.status === 200 ? response.text() : undefined;
    }, 'the active release to answer');
    expect(answer).toBe('1.1.0');
    const jobs = (await np.api('GET', '/api/jobs?type=ROLLOUT'))._embedded.jobs as Json[];
    const cancel = jobs[0];
    expect(cancel).toMatchObject({ status: 'COMPLETE', attempt: 1 });
    expect((await np.server().api('GET', `/api/jobs/${cancel.id}/logs?sequence=0`)).text).toContain(
      'running it again',
    );
    np.repo.cleanup();
  });

  it('a launch withdrawn while its instances start fails the deployment and removes them', async () => {
    // Never healthy: the launch waits (up to max_startup_seconds, 30 s) until it is withdrawn.
    const np = await shop(serviceFiles(500));
    const launch = await np.deploy();
    await np.deploymentIn(launch.id, ['waiting_for_instances']);
    const [job] = (await np.api('GET', '/api/jobs?type=ROLLOUT'))._embedded.jobs as Json[];
    await np.api('PUT', `/api/jobs/${job.id}/stopped`);

    const failed = await np.deploymentIn(launch.id, ['failed']);
    expect(failed.messages.at(-1)).toMatchObject({
      level: 'error',
      message: `the rollout job ${job.id} ended while the deployment was waiting_for_instances: withdrawn by admin`,
    });
    const workloads = await eventually(async () => {
      const listed = await np.api('GET', `/v1/list/tasks/${np.scope.namespace}`);
      return listed.services.length === 0 && listed.deployments.length === 0 ? listed : undefined;
    }, 'the launched instances removed');
    expect(workloads.services).toEqual([]);
    // A new deployment on the scope is not held back by the failed one.
    const next = await np.deploy(np.repo.commit(serviceFiles()));
    expect((await np.deploymentIn(next.id, ['finalized', 'failed'])).status).toBe('finalized');
    np.repo.cleanup();
  });
});
