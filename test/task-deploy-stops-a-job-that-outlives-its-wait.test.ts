import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { eventually, sleep } from './helpers/wait.js';

// A task deploy waits a limited time for a job to finish (DESIGN.md section 4). When it gives up,
// the job must stop too: a deploy in ERROR with "not healthy after N s" while the process runs on
// (and the task's state later says succeeded) is a state that contradicts reality.
describe('a task deploy whose job outlives the wait', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-task-timeout-'));
  const beats = path.join(dir, 'beats');
  let repo: TestRepo;
  let engine: Engine;

  beforeAll(async () => {
    // Appends a line every 50 ms for a minute: whether it still runs shows in the file.
    const script = `const fs = require('node:fs'); console.log('started'); setInterval(() => fs.appendFileSync(${JSON.stringify(beats)}, 'x\\n'), 50); setTimeout(() => {}, 60000);`;
    repo = createRepo({
      'tasks/long/manifest.json': manifest({
        name: 'long',
        type: 'job',
        cmd: [process.execPath, '-e', script],
      }),
    });
    engine = createEngine({
      store: createMemoryStore(),
      runtime: createLocalRuntime({
        stateDir: path.join(dir, 'local'),
        baseEnv: { PATH: process.env.PATH ?? '' },
        stopGraceMs: 500,
      }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
      taskTimeoutMs: 1500,
      healthPollMs: 50,
      pollMs: 20,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends the deploy in ERROR, stops the run, and says so in the job log', async () => {
    const { job } = await engine.tasks.deploy({
      repository: repo.dir,
      directory: 'tasks/long',
      branch: repo.branch,
      namespace: 'batch',
      name: null,
      schedule: null,
      configuration: null,
      identity: null,
    });
    const ended = await eventually(
      () => {
        const current = engine.jobs.get(job.id);
        return ['COMPLETE', 'ERROR', 'STOPPED'].includes(current.status) ? current : undefined;
      },
      'the deploy to end',
      20_000,
    );
    const log = engine.jobs
      .logs(job.id, 0, 1000)
      .map((l) => l.line)
      .join('\n');
    expect(ended.status).toBe('ERROR');
    expect(ended.message).toContain('not healthy after 2 s');
    expect(ended.message).toContain("job 'long' stopped: it did not finish within 2 s");
    expect(log).toContain('[long] started');
    expect(log).toContain("job 'long' stopped: it did not finish within 2 s");

    // The process is gone: its file stops growing, and the runtime has no such job.
    expect(existsSync(beats)).toBe(true);
    const size = readFileSync(beats, 'utf8').length;
    await sleep(400);
    expect(readFileSync(beats, 'utf8').length).toBe(size);
    const status = await engine.runtime.status({ kind: 'job', namespace: 'batch', name: 'long' });
    expect(status.health).toBe('missing');
    // And the task's state agrees with the deploy.
    expect(await engine.tasks.state(job.id)).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('stopped'),
    });
  });
});
