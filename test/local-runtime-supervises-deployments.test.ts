import { describe, expect, it } from 'vitest';
import type { Runtime, WorkloadRef, WorkloadStatus } from '../core/runtime/types.js';
import { collect, eventually, nodeWorkload, runtimes } from './helpers/local-runtime/harness.js';

const { start } = runtimes();

function health(runtime: Runtime, ref: WorkloadRef, wanted: string): Promise<WorkloadStatus> {
  return eventually(async () => {
    const status = await runtime.status(ref);
    return status.health === wanted ? status : undefined;
  }, `${ref.name} to be ${wanted}`);
}

describe('the local runtime supervises deployments', () => {
  it('runs every replica and calls them healthy once they stayed up stableAfterMs', async () => {
    const { runtime } = await start({ stableAfterMs: 500 });
    const worker = nodeWorkload(
      'deployment',
      'worker',
      'console.log("up"); setInterval(() => {}, 1000)',
      {
        replicas: 3,
      },
    );
    await runtime.apply([worker]);
    const early = await runtime.status(worker);
    expect(early).toMatchObject({ health: 'progressing', readyReplicas: 0, desiredReplicas: 3 });
    const status = await health(runtime, worker, 'healthy');
    expect(status).toMatchObject({ phase: 'running', readyReplicas: 3, message: '3/3 ready' });
    expect(Date.parse(status.startTime ?? '')).not.toBeNaN();
    const pods = await runtime.pods('test');
    expect(pods.map((p) => [p.name, p.phase, p.ready, p.restarts])).toEqual([
      ['worker-1-0', 'Running', true, 0],
      ['worker-1-1', 'Running', true, 0],
      ['worker-1-2', 'Running', true, 0],
    ]);
    expect(new Set((await collect(runtime.logs(worker))).map((l) => l.pod)).size).toBe(3);
  });

  it('restarts a replica that exits, and it becomes healthy once it stays up', async () => {
    const { runtime } = await start();
    const flaky = nodeWorkload(
      'deployment',
      'flaky',
      `const fs = require('fs');
       if (!fs.existsSync('started-once')) { fs.writeFileSync('started-once', ''); console.log('crash'); process.exit(1); }
       console.log('steady'); setInterval(() => {}, 1000);`,
    );
    await runtime.apply([flaky]);
    // On a loaded machine node may take longer than stableAfterMs to start and crash, so the
    // first run can look healthy for a moment: what counts is where it settles.
    const pod = await eventually(async () => {
      const [first] = await runtime.pods();
      return first?.restarts === 1 && first.ready ? first : undefined;
    }, 'flaky restarted once and ready');
    expect(pod.name).toBe('flaky-1-0');
    const status = await health(runtime, flaky, 'healthy');
    expect(status.readyReplicas).toBe(1);
    expect((await collect(runtime.logs(flaky))).map((l) => l.line)).toEqual(['crash', 'steady']);
  });

  it('calls a crash loop failed after crashLoopThreshold restarts and keeps restarting it', async () => {
    const { runtime } = await start({ crashLoopThreshold: 3 });
    const crashing = nodeWorkload(
      'deployment',
      'crasher',
      'console.log("starting"); process.exit(2)',
    );
    await runtime.apply([crashing]);
    const status = await health(runtime, crashing, 'failed');
    expect(status).toMatchObject({
      phase: 'failed',
      exitCode: 2,
      message: 'CrashLoopBackOff: exited with code 2 (3 restarts)',
    });
    // Kubernetes keeps restarting a crash-looping pod: so does the local runtime.
    await eventually(
      async () => ((await runtime.pods())[0]?.restarts ?? 0) >= 5 || undefined,
      'more restarts',
    );
    expect((await runtime.status(crashing)).health).toBe('failed');
  });

  it('waits longer before each restart, doubling up to maxMs', async () => {
    const { runtime } = await start({
      restartBackoff: { initialMs: 100, maxMs: 400 },
      crashLoopThreshold: 100,
    });
    const crashing = nodeWorkload('deployment', 'backoff', 'console.log("start"); process.exit(1)');
    await runtime.apply([crashing]);
    const lines = await eventually(async () => {
      const all = await collect(runtime.logs(crashing));
      return all.length >= 6 ? all : undefined;
    }, 'six starts');
    const starts = lines.map((l) => Date.parse(l.time));
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    // Each gap is the backoff plus the time node takes to start and exit again.
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(400);
    expect(gaps[4]).toBeLessThan(800);
  });

  it('runs nothing for 0 replicas and calls that healthy', async () => {
    const { runtime } = await start();
    const idle = nodeWorkload('deployment', 'idle', 'setInterval(() => {}, 1000)', { replicas: 0 });
    await runtime.apply([idle]);
    expect(await runtime.status(idle)).toMatchObject({
      health: 'healthy',
      readyReplicas: 0,
      desiredReplicas: 0,
    });
    expect(await runtime.pods()).toEqual([]);
  });
});
