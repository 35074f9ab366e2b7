import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diamond, job, repoIn, service } from './fixtures/datatask.js';
import {
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };

describe('DataTask pipelines (seed 001) on the local runtime', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-pipes-'));
    repoIn(reposDir, 'flows', {
      'tasks/job1/manifest.json': job('job1', { ms: 100 }),
      'tasks/job2/manifest.json': job('job2', { ms: 400, lines: ['job2 working'] }),
      'tasks/job3/manifest.json': job('job3', { ms: 400 }),
      'tasks/job4/manifest.json': job('job4'),
      'tasks/fail/manifest.json': job('fail', { lines: ['no such table'], exitCode: 2 }),
      'tasks/slow/manifest.json': job('slow', { ms: 60_000 }),
      'tasks/web/manifest.json': service('web'),
      'pipelines/diamond/pipeline.json': diamond('flows'),
      'pipelines/cleanup/pipeline.json': JSON.stringify({
        name: 'cleanup',
        tasks: [
          { name: 'extract', namespacetask: 'flows/tasks/fail' },
          { name: 'load', namespacetask: 'flows/tasks/job4', dependance: ['extract'] },
          {
            name: 'notify',
            namespacetask: 'shared/notify',
            dependance: ['extract'],
            'run-if-error': true,
          },
        ],
      }),
      'pipelines/long/pipeline.json': JSON.stringify({
        name: 'long',
        tasks: [
          { name: 'first', namespacetask: 'flows/tasks/slow' },
          { name: 'after', namespacetask: 'flows/tasks/job4', dependance: ['first'] },
        ],
      }),
      'pipelines/cyclic/pipeline.json': JSON.stringify({
        name: 'cyclic',
        tasks: [
          { name: 'a', namespacetask: 'flows/tasks/job1', dependance: ['b'] },
          { name: 'b', namespacetask: 'flows/tasks/job1', dependance: ['a'] },
        ],
      }),
      'pipelines/unknown/pipeline.json': JSON.stringify({
        name: 'unknown',
        tasks: [{ name: 'a', namespacetask: 'flows/tasks/nowhere' }],
      }),
    });
    // A task of another repository (namespacetask may name any repository).
    repoIn(reposDir, 'shared', {
      'notify/manifest.json': job('notify', { lines: ['notified the team'] }),
    });
    server = await startServer({ reposDir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const call = (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = ME,
  ) => request(`${server.url}${route}`, method, body, headers);

  async function finished(namespace: string, id: string): Promise<Json> {
    return eventually(
      async () => {
        const state = await call('GET', `/v1/pipeline/state/${namespace}/${id}`);
        return ['succeeded', 'failed', 'killed'].includes(state.json.status)
          ? state.json
          : undefined;
      },
      `pipeline ${id} to end`,
      30_000,
    );
  }

  it('runs the diamond: job1, then job2 and job3 at the same time, then job4', async () => {
    const started = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fdiamond/nightly');
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({
      name: 'nightly',
      pipeline: 'diamond',
      namespace: 'flows',
      status: 'pending',
    });
    const state = await finished('flows', started.json.id);
    expect(state.status).toBe('succeeded');
    const byName = Object.fromEntries(state.tasks.map((t: Json) => [t.name, t]));
    expect(Object.values(byName).every((t: Json) => t.status === 'succeeded')).toBe(true);
    expect(byName.job2.dependance).toEqual(['job1']);
    const at = (name: string, field: 'startTime' | 'endTime') => Date.parse(byName[name][field]);
    expect(at('job2', 'startTime')).toBeGreaterThanOrEqual(at('job1', 'endTime'));
    expect(at('job3', 'startTime')).toBeGreaterThanOrEqual(at('job1', 'endTime'));
    // Independent branches overlap.
    expect(at('job2', 'startTime')).toBeLessThan(at('job3', 'endTime'));
    expect(at('job3', 'startTime')).toBeLessThan(at('job2', 'endTime'));
    expect(at('job4', 'startTime')).toBeGreaterThanOrEqual(
      Math.max(at('job2', 'endTime'), at('job3', 'endTime')),
    );
    const log = await server.api('GET', `/api/jobs/${started.json.id}/logs`);
    expect(log.text).toContain('[nightly-job2] job2 working');
    expect((await waitForJob(server, started.json.id)).status).toBe('COMPLETE');
  });

  it('after a failing task runs only the run-if-error task, from another repository, and fails', async () => {
    const started = await call('GET', '/v1/pipeline/runinas/flows/pipelines%2Fcleanup/ops/cleanup');
    const state = await finished('ops', started.json.id);
    expect(state.status).toBe('failed');
    expect(Object.fromEntries(state.tasks.map((t: Json) => [t.name, t.status]))).toEqual({
      extract: 'failed',
      load: 'skipped',
      notify: 'succeeded',
    });
    const job = await waitForJob(server, started.json.id);
    expect(job.status).toBe('ERROR');
    const log = await server.api('GET', `/api/jobs/${started.json.id}/logs`);
    expect(log.text).toContain('[cleanup-extract] no such table');
    expect(log.text).toContain('[cleanup-notify] notified the team');
  });

  it('kills a running pipeline: its running task is stopped and it ends killed', async () => {
    const started = await call(
      'POST',
      '/v2/pipeline/elaborate/run/flows/pipelines%2Flong/long-run',
      { namespace: 'flows', branch: 'master' },
    );
    expect(started.status).toBe(202);
    await eventually(async () => {
      const state = await call('GET', `/v1/pipeline/state/flows/${started.json.id}`);
      return state.json.tasks[0].status === 'running' ? true : undefined;
    }, 'the first task to run');
    const killed = await call('GET', `/v1/pipeline/kill/${started.json.id}`);
    expect(killed.status).toBe(200);
    expect(killed.json.status).toBe('killed');
    expect(Object.fromEntries(killed.json.tasks.map((t: Json) => [t.name, t.status]))).toEqual({
      first: 'killed',
      after: 'skipped',
    });
    const pods = await call('GET', '/v1/list/pods/flows');
    expect(
      pods.json.pods.filter(
        (p: Json) => p.workload.name === 'long-run-first' && p.phase === 'Running',
      ),
    ).toEqual([]);
    expect((await call('GET', `/v1/pipeline/kill/${started.json.id}`)).status).toBe(409);
  });

  it('ends a run killed when its job is withdrawn through the jobs API, queued or running', async () => {
    const run = (name: string) =>
      call('POST', `/v2/pipeline/elaborate/run/flows/pipelines%2Flong/${name}`, {
        namespace: 'flows',
        branch: 'master',
      });
    const first = await run('queued-behind');
    // The same run name in the same namespace waits for the one before it.
    const second = await run('queued-behind');
    expect(second.status).toBe(202);
    await eventually(async () => {
      const state = await call('GET', `/v1/pipeline/state/flows/${first.json.id}`);
      return state.json.tasks[0].status === 'running' ? true : undefined;
    }, 'the first run to start');
    expect((await server.api('GET', `/api/jobs/${second.json.id}`)).json.status).toBe('QUEUED');

    for (const started of [second, first]) {
      const withdrawn = await server.api('PUT', `/api/jobs/${started.json.id}/stopped`);
      expect(withdrawn.status).toBe(202);
    }
    const queued = await finished('flows', second.json.id);
    expect(queued.status).toBe('killed');
    expect(queued.endTime).toEqual(expect.any(String));
    expect(queued.tasks.map((t: Json) => [t.name, t.status])).toEqual([
      ['first', 'skipped'],
      ['after', 'skipped'],
    ]);
    expect(queued.tasks[0].message).toMatch(/^skipped: the run ended \(withdrawn by /);
    const running = await finished('flows', first.json.id);
    expect(running.status).toBe('killed');
    expect(running.tasks.map((t: Json) => t.status)).toEqual(['killed', 'skipped']);
  });

  it('runs a pipeline passed as configuration, and lists runs per namespace', async () => {
    const configuration = JSON.stringify({
      name: 'inline',
      tasks: [{ name: 'only', namespacetask: 'flows/tasks/job4' }],
    });
    const started = await call('POST', '/v2/pipeline/run/with-configuration', {
      namespace: 'inline-ns',
      configuration,
    });
    expect(started.status).toBe(202);
    expect((await finished('inline-ns', started.json.id)).status).toBe('succeeded');
    const listed = await call('GET', '/v1/list/pipelines/inline-ns');
    expect(listed.json.pipelines.map((p: Json) => p.id)).toEqual([started.json.id]);
    const all = await call('GET', '/v1/list/pipelines');
    expect(all.json.pipelines.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses cycles, unknown tasks and a wrong namespace before anything runs', async () => {
    const cyclic = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fcyclic/c');
    expect(cyclic.status).toBe(400);
    expect(cyclic.json.message).toContain('cycle: ');
    const unknown = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Funknown/u');
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain(
      'task "a" (flows/tasks/nowhere): directory \'tasks/nowhere\' not found',
    );
    // A service step runs as `<run>-<task>`, its Service's name: a run name starting with a
    // digit cannot give it one.
    const digit = await call('POST', '/v2/pipeline/run/with-configuration', {
      namespace: 'flows',
      configuration: JSON.stringify({
        name: '9run',
        tasks: [{ name: 'web', namespacetask: 'flows/tasks/web' }],
      }),
    });
    expect(digit.status).toBe(400);
    expect(digit.json.message).toContain(
      'task "web" is a service that would run as "9run-web", a Kubernetes Service name, which must start with a letter',
    );
    expect((await call('GET', '/v1/pipeline/state/flows/no-such-run')).status).toBe(404);
    const started = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fdiamond/other');
    expect(
      (await call('GET', `/v1/pipeline/state/other-namespace/${started.json.id}`)).status,
    ).toBe(404);
  });
});
