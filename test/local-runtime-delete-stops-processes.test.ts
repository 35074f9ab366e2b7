import { describe, expect, it } from 'vitest';
import {
  eventually,
  isAlive,
  nodeWorkload,
  printedPid,
  runtimes,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();

/** A process that starts a child of its own and prints both pids. */
const PARENT_AND_CHILD = `const { spawn } = require('child_process');
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('pid ' + process.pid);
console.log('child ' + child.pid);
setInterval(() => {}, 1000);`;

describe('the local runtime stops what it deletes', () => {
  it('stops the whole process group of a deleted deployment and forgets it', async () => {
    const { runtime, stateDir } = await start();
    const tree = nodeWorkload('deployment', 'tree', PARENT_AND_CHILD);
    await runtime.apply([tree]);
    const pid = await printedPid(runtime, tree);
    const child = await printedPid(runtime, tree, 'child ');
    expect(isAlive(pid)).toBe(true);
    expect(isAlive(child)).toBe(true);
    expect(await runtime.delete(tree)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    await eventually(() => (isAlive(child) ? undefined : true), 'the child to die', 2000);
    expect(await runtime.list()).toEqual([]);
    expect(await runtime.pods()).toEqual([]);
    expect(await runtime.status(tree)).toMatchObject({
      health: 'missing',
      phase: 'unknown',
      message: "deployment 'tree' does not exist in namespace 'test'",
    });
    expect(await runtime.delete(tree)).toBe(false);
    // Deleted means deleted from the state too: the next start brings nothing back.
    await runtime.stop();
    const next = await start({ stateDir });
    expect(await next.runtime.list()).toEqual([]);
  });

  it('kills a process that ignores SIGTERM after stopGraceMs', async () => {
    const { runtime } = await start({ stopGraceMs: 400 });
    const stubborn = nodeWorkload(
      'deployment',
      'stubborn',
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('pid ' + process.pid); setInterval(() => {}, 1000)",
    );
    await runtime.apply([stubborn]);
    const pid = await printedPid(runtime, stubborn);
    const started = Date.now();
    await runtime.delete(stubborn);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(isAlive(pid)).toBe(false);
  });

  it('stops a running job and a cron job, and refuses the wrong kind', async () => {
    const { runtime } = await start();
    const job = nodeWorkload(
      'job',
      'long',
      "console.log('pid ' + process.pid); setInterval(() => {}, 1000)",
    );
    await runtime.apply([job]);
    const pid = await printedPid(runtime, job);
    expect(await runtime.delete({ ...job, kind: 'deployment' })).toBe(false);
    expect(isAlive(pid)).toBe(true);
    expect(await runtime.delete(job)).toBe(true);
    expect(isAlive(pid)).toBe(false);
  });

  it('stops the old processes before a changed workload starts again', async () => {
    const { runtime } = await start();
    const v1 = nodeWorkload(
      'deployment',
      'app',
      "console.log('pid ' + process.pid); setInterval(() => {}, 1000)",
    );
    await runtime.apply([v1]);
    const first = await printedPid(runtime, v1);
    const v2 = { ...v1, env: [{ name: 'VERSION', value: '2' }] };
    expect((await runtime.apply([v2]))[0]?.action).toBe('changed');
    expect(isAlive(first)).toBe(false);
    const second = await printedPid(runtime, v2);
    expect(second).not.toBe(first);
    expect((await runtime.pods()).map((p) => p.name)).toEqual(['app-2-0']);
  });
});
