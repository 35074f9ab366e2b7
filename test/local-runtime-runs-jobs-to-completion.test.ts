import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime, WorkloadRef, WorkloadStatus } from '../core/runtime/types.js';
import {
  eventually,
  nodeWorkload,
  runtimes,
  textOf,
  workdir,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();
afterEach(() => {
  delete process.env.SLIPWAY_TEST_SECRET;
});

function settled(runtime: Runtime, ref: WorkloadRef): Promise<WorkloadStatus> {
  return eventually(async () => {
    const status = await runtime.status(ref);
    return status.health === 'progressing' ? undefined : status;
  }, `${ref.name} to finish`);
}

describe('the local runtime runs jobs to completion', () => {
  it('runs the command in the workdir with base env, workload env and SLIPWAY_WORKLOAD, never the whole environment', async () => {
    process.env.SLIPWAY_TEST_SECRET = 'must not leak';
    const { runtime } = await start({
      baseEnv: { PATH: process.env.PATH ?? '', FROM_BASE: 'base', OVERRIDDEN: 'base' },
    });
    const dir = workdir({ 'data.txt': 'from the checkout' });
    const job = nodeWorkload(
      'job',
      'reader',
      `const e = process.env;
       console.log(require('fs').readFileSync('data.txt', 'utf8'));
       console.log([e.FROM_BASE, e.OVERRIDDEN, e.GREETING, e.SLIPWAY_WORKLOAD, e.SLIPWAY_TEST_SECRET ?? 'no secret', e.PORT ?? 'no port'].join(' '));`,
      {
        workdir: dir,
        env: [
          { name: 'GREETING', value: 'hi' },
          { name: 'OVERRIDDEN', value: 'workload' },
        ],
      },
    );
    expect(await runtime.apply([job])).toEqual([
      { kind: 'job', namespace: 'test', name: 'reader', action: 'created' },
    ]);
    const status = await settled(runtime, job);
    expect(status).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
      exitCode: 0,
      message: 'exited with code 0',
    });
    expect(Date.parse(status.completionTime ?? '')).toBeGreaterThanOrEqual(
      Date.parse(status.startTime ?? ''),
    );
    expect(await textOf(runtime, job)).toEqual([
      'from the checkout',
      'base workload hi test/reader no secret no port',
    ]);
    expect(await runtime.pods('test')).toEqual([
      expect.objectContaining({
        name: 'reader-1-0',
        phase: 'Succeeded',
        ready: false,
        restarts: 0,
      }),
    ]);
  });

  it('is progressing while it runs and finishes when the command does', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const job = nodeWorkload(
      'job',
      'waiter',
      "const t = setInterval(() => { if (require('fs').existsSync('go')) { clearInterval(t); console.log('went'); } }, 20)",
      { workdir: dir },
    );
    await runtime.apply([job]);
    const running = await runtime.status(job);
    expect(running).toMatchObject({
      health: 'progressing',
      phase: 'running',
      completionTime: null,
    });
    expect((await runtime.pods())[0]?.phase).toBe('Running');
    writeFileSync(path.join(dir, 'go'), '');
    expect(await settled(runtime, job)).toMatchObject({ health: 'healthy', phase: 'succeeded' });
  });

  it('reports a failing exit code, a signal and a program that does not exist as failed', async () => {
    const { runtime } = await start();
    const failing = nodeWorkload('job', 'failing', 'console.error("boom"); process.exit(3)');
    const killed = nodeWorkload('job', 'killed', 'process.kill(process.pid, "SIGKILL")');
    const missing = {
      ...nodeWorkload('job', 'missing', ''),
      command: ['no-such-program-slipway', '--flag'],
    };
    await runtime.apply([failing, killed, missing]);
    expect(await settled(runtime, failing)).toMatchObject({
      health: 'failed',
      phase: 'failed',
      exitCode: 3,
      message: 'exited with code 3',
    });
    expect(await textOf(runtime, failing)).toEqual(['boom']);
    expect(await settled(runtime, killed)).toMatchObject({
      health: 'failed',
      phase: 'failed',
      exitCode: 137,
      message: 'killed by SIGKILL',
    });
    const notFound = await settled(runtime, missing);
    expect(notFound).toMatchObject({ health: 'failed', phase: 'failed', exitCode: 127 });
    expect(notFound.message).toContain('no-such-program-slipway');
    const phases = Object.fromEntries((await runtime.pods()).map((p) => [p.name, p.phase]));
    expect(phases).toEqual({
      'failing-1-0': 'Failed',
      'killed-1-0': 'Failed',
      'missing-1-0': 'Failed',
    });
  });

  it('does not run a finished job again when it is applied unchanged', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const job = nodeWorkload('job', 'once', "require('fs').appendFileSync('runs', 'run\\n')", {
      workdir: dir,
    });
    await runtime.apply([job]);
    await settled(runtime, job);
    expect((await runtime.apply([job]))[0]?.action).toBe('unchanged');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readFileSync(path.join(dir, 'runs'), 'utf8')).toBe('run\n');
  });
});
