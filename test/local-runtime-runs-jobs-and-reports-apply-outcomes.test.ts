import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../core/runtime/local/index.js';
import type { WorkloadRef } from '../core/runtime/types.js';
import { nodeWorkload, testRuntime, workdir } from './helpers/local-runtime.js';
import { eventually } from './helpers/server.js';

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

async function started(): Promise<LocalRuntime> {
  const runtime = testRuntime();
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

async function settled(runtime: LocalRuntime, ref: WorkloadRef) {
  return eventually(async () => {
    const status = await runtime.status(ref);
    return status.health === 'progressing' ? undefined : status;
  }, 10_000);
}

describe('the local runtime, jobs', () => {
  it('runs a job to completion in its directory with its env, and reports success', async () => {
    const runtime = await started();
    const dir = workdir({ 'data.txt': 'from the checkout' });
    const job = nodeWorkload(
      'job',
      'reader',
      "console.log(require('fs').readFileSync('data.txt','utf8')); console.log(process.env.GREETING); console.log(process.env.SLIPWAY_ADMIN_TOKEN ?? 'no token')",
      { workdir: dir, env: [{ name: 'GREETING', value: 'hi' }] },
    );
    expect(await runtime.apply([job])).toEqual([
      { kind: 'job', namespace: 'test', name: 'reader', action: 'created' },
    ]);
    const status = await settled(runtime, job);
    expect(status).toMatchObject({ health: 'healthy', phase: 'succeeded', exitCode: 0 });
    expect(status.completionTime).not.toBeNull();
    const lines: string[] = [];
    for await (const line of runtime.logs(job)) lines.push(line.line);
    expect(lines).toEqual(['from the checkout', 'hi', 'no token']);
  });

  it('reports a failing job with its exit code, and a program that does not exist', async () => {
    const runtime = await started();
    const failing = nodeWorkload('job', 'failing', 'console.error("boom"); process.exit(3)');
    const missing = { ...nodeWorkload('job', 'missing', ''), command: ['no-such-program-slipway'] };
    await runtime.apply([failing, missing]);
    expect(await settled(runtime, failing)).toMatchObject({
      health: 'failed',
      phase: 'failed',
      exitCode: 3,
      message: 'exited with code 3',
    });
    const status = await settled(runtime, missing);
    expect(status.health).toBe('failed');
    expect(status.message).toContain('no-such-program-slipway');
  });

  it('tells created, changed and unchanged apart, and a dry run changes nothing', async () => {
    const runtime = await started();
    const v1 = nodeWorkload('job', 'versioned', 'console.log("v1")');
    const v2 = nodeWorkload('job', 'versioned', 'console.log("v2")');
    const dry = await runtime.apply([v1], { dryRun: true });
    expect(dry[0]?.action).toBe('created');
    expect(await runtime.list()).toEqual([]);
    expect((await runtime.apply([v1]))[0]?.action).toBe('created');
    await settled(runtime, v1);
    expect((await runtime.apply([v1]))[0]?.action).toBe('unchanged');
    expect((await runtime.apply([v2], { dryRun: true }))[0]?.action).toBe('changed');
    const stillV1: string[] = [];
    for await (const line of runtime.logs(v1)) stillV1.push(line.line);
    expect(stillV1).toEqual(['v1']);
    expect((await runtime.apply([v2]))[0]?.action).toBe('changed');
    await settled(runtime, v2);
    const lines: string[] = [];
    for await (const line of runtime.logs(v2)) lines.push(line.line);
    expect(lines).toEqual(['v2']);
  });

  it('validates every workload before starting any', async () => {
    const runtime = await started();
    const good = nodeWorkload('job', 'good', 'console.log(1)');
    const noCommand = { ...nodeWorkload('job', 'no-cmd', ''), command: null };
    await expect(runtime.apply([good, noCommand])).rejects.toThrow(/job 'no-cmd' has no "cmd"/);
    const noDir = nodeWorkload('job', 'no-dir', '1', { workdir: '/does/not/exist' });
    await expect(runtime.apply([good, noDir])).rejects.toThrow(/no directory to run in/);
    expect(await runtime.list()).toEqual([]);
  });

  it('lists by kind, namespace and labels, records namespaces, and deletes', async () => {
    const runtime = await started();
    await runtime.ensureNamespace('zeta');
    await runtime.ensureNamespace('alpha');
    expect(await runtime.listNamespaces()).toEqual(['alpha', 'zeta']);
    const a = nodeWorkload('job', 'a', '1', { labels: { team: 'x' } });
    const b = nodeWorkload('job', 'b', '1', { namespace: 'other', labels: { team: 'y' } });
    await runtime.apply([a, b]);
    expect((await runtime.list({ labels: { team: 'x' } })).map((w) => w.name)).toEqual(['a']);
    expect((await runtime.list({ namespace: 'other' })).map((w) => w.name)).toEqual(['b']);
    expect(await runtime.list({ kind: 'service' })).toEqual([]);
    expect(await runtime.delete(a)).toBe(true);
    expect(await runtime.delete(a)).toBe(false);
    expect(await runtime.delete({ ...b, kind: 'service' })).toBe(false);
    expect((await runtime.status(a)).health).toBe('missing');
  });
});
