import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import type { Job } from '../core/types.js';
import { deployment, job, repoIn } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import { eventually } from './helpers/wait.js';

const pipeline = (name: string, tasks: unknown[]) => JSON.stringify({ name, tasks });

/**
 * The engine as app/main.ts wires it (local runtime, git source) on a memory store, with a step
 * timeout of 2 s so a wait that gives up is seen in a test.
 */
describe('pipeline steps run once, are stopped when their wait gives up, and take nothing over', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-steps-'));
  const reposDir = path.join(dir, 'repos');
  let engine: Engine;

  beforeAll(async () => {
    repoIn(reposDir, 'flows', {
      'tasks/nightly/manifest.json': manifest({
        name: 'nightly',
        type: 'job',
        schedule: '0 3 * * *',
        cmd: ['node', '-e', 'setTimeout(() => console.log("extracted rows"), 300)'],
      }),
      'tasks/quick/manifest.json': job('quick', { lines: ['loaded'] }),
      'tasks/slow/manifest.json': job('slow', { lines: ['slow started'], ms: 60_000 }),
      'tasks/loop/manifest.json': deployment('loop'),
      'pipelines/withcron/pipeline.json': pipeline('withcron', [
        { name: 'extract', namespacetask: 'flows/tasks/nightly' },
        { name: 'load', namespacetask: 'flows/tasks/quick', dependance: ['extract'] },
      ]),
      'pipelines/stuck/pipeline.json': pipeline('stuck', [
        { name: 'wait', namespacetask: 'flows/tasks/slow' },
        { name: 'after', namespacetask: 'flows/tasks/quick', dependance: ['wait'] },
      ]),
      'pipelines/one/pipeline.json': pipeline('one', [
        { name: 'load', namespacetask: 'flows/tasks/quick' },
      ]),
    });
    engine = createEngine({
      store: createMemoryStore(),
      runtime: createLocalRuntime({
        stateDir: path.join(dir, 'local'),
        baseEnv: { PATH: process.env.PATH ?? '' },
        stableAfterMs: 200,
        stopGraceMs: 1000,
      }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir }),
      scratchDir: path.join(dir, 'scratch'),
      taskTimeoutMs: 2000,
      healthPollMs: 50,
      pollMs: 20,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (pipelineDir: string, name: string) =>
    engine.pipelines.run({
      repository: 'flows',
      directory: `pipelines/${pipelineDir}`,
      branch: 'master',
      namespace: 'flows',
      name,
      configuration: undefined,
      identity: 'dev@example.com',
    });
  const ended = (id: string): Promise<Job> =>
    eventually(
      () => {
        const found = engine.jobs.get(id);
        return ['COMPLETE', 'ERROR', 'STOPPED'].includes(found.status) ? found : undefined;
      },
      `job ${id} to end`,
      20_000,
    );
  const logOf = (id: string) =>
    engine.jobs
      .logs(id, 0, 1000)
      .map((l) => l.line)
      .join('\n');

  it('runs a step whose manifest has a schedule once, now, and leaves no cron job behind', async () => {
    const { job: started } = await run('withcron', 'withcron');
    expect((await ended(started.id)).status).toBe('COMPLETE');
    const log = logOf(started.id);
    expect(log).toContain(
      'task extract: schedule "0 3 * * *" of its manifest is ignored inside a pipeline; it runs once now',
    );
    expect(log).toContain('[withcron-extract] extracted rows');
    const record = engine.pipelines.state('flows', started.id);
    const extract = record.tasks.find((t) => t.name === 'extract');
    const load = record.tasks.find((t) => t.name === 'load');
    expect(extract?.status).toBe('succeeded');
    expect(
      Date.parse(extract?.endTime ?? '') - Date.parse(extract?.startTime ?? ''),
    ).toBeGreaterThanOrEqual(300);
    expect(Date.parse(load?.startTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(extract?.endTime ?? ''),
    );
    expect(await engine.runtime.list({ kind: 'cronjob' })).toEqual([]);
  });

  it('stops a step whose wait gave up, says so, and skips what follows', async () => {
    const { job: started } = await run('stuck', 'stuck');
    expect((await ended(started.id)).status).toBe('ERROR');
    const record = engine.pipelines.state('flows', started.id);
    expect(record.status).toBe('failed');
    expect(record.tasks.map((t) => [t.name, t.status])).toEqual([
      ['wait', 'failed'],
      ['after', 'skipped'],
    ]);
    expect(record.tasks[0]?.message).toMatch(
      /^not healthy after 2 s: .*; stopped job 'stuck-wait': it did not finish within 2 s(\nlast lines of job 'stuck-wait':\n[\s\S]*)?$/,
    );
    expect(logOf(started.id)).toContain(
      "task wait: stopped job 'stuck-wait': it did not finish within 2 s",
    );
    // Nothing of the step runs on after the pipeline said it failed.
    expect(
      (await engine.runtime.pods('flows')).filter((p) => p.workload.name === 'stuck-wait'),
    ).toEqual([]);
    expect((await engine.runtime.list({ namespace: 'flows' })).map((w) => w.name)).not.toContain(
      'stuck-wait',
    );
  });

  it("refuses, before applying anything, a run whose step would replace another owner's workload", async () => {
    const deployed = await engine.tasks.deploy({
      repository: 'flows',
      directory: 'tasks/loop',
      branch: 'master',
      namespace: 'flows',
      name: 'zz-load',
      schedule: null,
      configuration: undefined,
      identity: 'dev@example.com',
    });
    expect((await ended(deployed.job.id)).status).toBe('COMPLETE');
    const { job: started } = await run('one', 'zz');
    const end = await ended(started.id);
    expect(end.status).toBe('ERROR');
    expect(end.message).toContain(
      "namespace flows already has deployment 'zz-load' of a task deployed over the DataTask API (step \"load\"); running pipeline 'one' as 'zz' would take it over, so nothing was applied",
    );
    expect(engine.pipelines.state('flows', started.id).status).toBe('failed');
    const held = (await engine.runtime.list({ namespace: 'flows' })).filter(
      (w) => w.name === 'zz-load',
    );
    expect(held.map((w) => w.kind)).toEqual(['deployment']);
    expect((await engine.runtime.status(held[0] as (typeof held)[0])).health).toBe('healthy');

    // An earlier run of the same pipeline is no one else's: it is replaced.
    for (const _ of [1, 2]) {
      const again = await run('one', 'again');
      expect((await ended(again.job.id)).status).toBe('COMPLETE');
    }
  });
});
