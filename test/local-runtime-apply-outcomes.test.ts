import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../core/errors.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import {
  eventually,
  nodeWorkload,
  runtimes,
  tempDir,
  textOf,
  workdir,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();

/** A job that leaves a file named `ran` in its directory. */
function marking(name: string, dir: string, text = name) {
  return nodeWorkload(
    'job',
    name,
    `require('fs').writeFileSync('ran', ''); console.log(${JSON.stringify(text)})`,
    {
      workdir: dir,
    },
  );
}

describe('the local runtime tells created, changed and unchanged apart', () => {
  it('creates, leaves unchanged, and changes by comparing the whole workload', async () => {
    const { runtime } = await start();
    const v1 = nodeWorkload('job', 'versioned', 'console.log("v1")');
    const v2 = { ...v1, command: [process.execPath, '-e', 'console.log("v2")'] };
    const relabelled = { ...v2, labels: { ...v2.labels, team: 'data' } };
    expect((await runtime.apply([v1]))[0]?.action).toBe('created');
    await eventually(
      async () => ((await runtime.status(v1)).health === 'healthy' ? true : undefined),
      'v1',
    );
    expect((await runtime.apply([v1]))[0]?.action).toBe('unchanged');
    expect((await runtime.apply([v2]))[0]?.action).toBe('changed');
    await eventually(
      async () => ((await runtime.status(v2)).health === 'healthy' ? true : undefined),
      'v2',
    );
    // A changed workload starts a new revision with its own output.
    expect(await textOf(runtime, v2)).toEqual(['v2']);
    expect((await runtime.pods())[0]?.name).toBe('versioned-2-0');
    expect((await runtime.apply([relabelled]))[0]?.action).toBe('changed');
    expect((await runtime.list())[0]?.labels.team).toBe('data');
  });

  it('keeps a workload unchanged when only its commit and checkout moved', async () => {
    const { runtime } = await start();
    const source = {
      repository: 'demo',
      commit: 'a'.repeat(40),
      directory: 'tasks/x',
      digest: 'd1',
    };
    const first = nodeWorkload('deployment', 'x', 'setInterval(() => {}, 1000)', { source });
    const moved = { ...first, workdir: workdir(), source: { ...source, commit: 'b'.repeat(40) } };
    const edited = { ...moved, source: { ...moved.source, digest: 'd2' } };
    await runtime.apply([first]);
    expect((await runtime.apply([moved]))[0]?.action).toBe('unchanged');
    expect((await runtime.pods())[0]?.name).toBe('x-1-0');
    // Its process runs on from the first checkout, a restart would start from the second:
    // neither may be evicted from the checkout cache.
    expect(runtime.workdirs?.()).toEqual([moved.workdir, first.workdir]);
    expect((await runtime.apply([edited]))[0]?.action).toBe('changed');
    await eventually(
      async () => ((await runtime.pods())[0]?.name === 'x-2-0' ? true : undefined),
      'the edited revision',
    );
    expect(runtime.workdirs?.()).toEqual([edited.workdir, edited.workdir]);
  });

  it('keys workloads by namespace and name, and counts a change of kind as changed', async () => {
    const { runtime } = await start();
    const inA = nodeWorkload('job', 'same', '1', { namespace: 'a' });
    const inB = nodeWorkload('job', 'same', '1', { namespace: 'b' });
    expect((await runtime.apply([inA, inB])).map((o) => `${o.namespace}:${o.action}`)).toEqual([
      'a:created',
      'b:created',
    ]);
    const asDeployment = nodeWorkload('deployment', 'same', 'setInterval(() => {}, 1000)', {
      namespace: 'a',
    });
    expect(await runtime.apply([asDeployment])).toEqual([
      { kind: 'deployment', namespace: 'a', name: 'same', action: 'changed' },
    ]);
    expect((await runtime.status(inA)).health).toBe('missing');
    expect((await runtime.list({ namespace: 'a' })).map((w) => w.kind)).toEqual(['deployment']);
  });

  it('computes the same outcomes in a dry run and changes nothing', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const job = marking('dry', dir);
    expect(await runtime.apply([job], { dryRun: true })).toEqual([
      { kind: 'job', namespace: 'test', name: 'dry', action: 'created' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(await runtime.list()).toEqual([]);
    await runtime.apply([job]);
    await eventually(
      async () => ((await runtime.status(job)).health === 'healthy' ? true : undefined),
      'dry',
    );
    const changed = marking('dry', dir, 'second');
    expect((await runtime.apply([changed], { dryRun: true }))[0]?.action).toBe('changed');
    expect(await textOf(runtime, job)).toEqual(['dry']);
    expect((await runtime.pods())[0]?.name).toBe('dry-1-0');
  });

  it('validates every workload before starting any, naming each one and what is missing', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const good = marking('good', dir);
    const noCommand = { ...nodeWorkload('job', 'no-cmd', ''), command: null };
    const noDir = nodeWorkload('service', 'no-dir', '1', { workdir: '/does/not/exist' });
    const badCron = nodeWorkload('cronjob', 'bad-cron', '1', { schedule: 'every tuesday' });
    const error = await runtime.apply([good, noCommand, noDir, badCron]).catch((e: unknown) => e);
    expect(isSlipwayError(error, 'BAD_REQUEST')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`job 'no-cmd' in namespace 'test' has no command`);
    expect(message).toContain(
      `service 'no-dir' in namespace 'test' has workdir /does/not/exist, which does not exist`,
    );
    expect(message).toContain(
      `cronjob 'bad-cron' in namespace 'test' has schedule "every tuesday"`,
    );
    expect(message).not.toContain("'good'");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(await runtime.list()).toEqual([]);
    const twice = await runtime.apply([good, good]).catch((e: unknown) => e);
    expect((twice as Error).message).toContain('is given twice');
  });

  it('refuses changes before start()', async () => {
    const runtime = createLocalRuntime({ stateDir: tempDir() });
    await expect(runtime.apply([nodeWorkload('job', 'early', '1')])).rejects.toThrow(
      /not started: call start\(\) before apply\(\)/,
    );
  });
});

describe('the local runtime lists what it runs', () => {
  it('filters by kind, namespace and every label, and records namespaces', async () => {
    const { runtime } = await start();
    await runtime.ensureNamespace('zeta');
    await runtime.ensureNamespace('alpha');
    await runtime.ensureNamespace('zeta');
    expect(await runtime.listNamespaces()).toEqual(['alpha', 'zeta']);
    const a = nodeWorkload('job', 'a', '1', { labels: { team: 'x', tier: 'batch' } });
    const b = nodeWorkload('job', 'b', '1', { namespace: 'other', labels: { team: 'x' } });
    const c = nodeWorkload('cronjob', 'c', '1', { schedule: '0 0 * * *', labels: { team: 'y' } });
    await runtime.apply([a, b, c]);
    const names = async (filter: Parameters<typeof runtime.list>[0]) =>
      (await runtime.list(filter)).map((w) => w.name);
    expect(await names({})).toEqual(['b', 'a', 'c']);
    expect(await names({ labels: { team: 'x' } })).toEqual(['b', 'a']);
    expect(await names({ labels: { team: 'x', tier: 'batch' } })).toEqual(['a']);
    expect(await names({ namespace: 'other' })).toEqual(['b']);
    expect(await names({ kind: 'cronjob' })).toEqual(['c']);
    const [cron] = await runtime.list({ kind: 'cronjob' });
    expect(cron).toMatchObject({ schedule: '0 0 * * *', replicas: 1, namespace: 'test' });
    expect(Date.parse(cron?.created ?? '')).not.toBeNaN();
  });
});
