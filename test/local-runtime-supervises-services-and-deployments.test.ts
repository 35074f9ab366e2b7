import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../core/runtime/local/index.js';
import type { WorkloadRef } from '../core/runtime/types.js';
import { httpServerScript, isAlive, nodeWorkload, testRuntime } from './helpers/local-runtime.js';
import { freePort, isListening } from './helpers/ports.js';
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

function health(runtime: LocalRuntime, ref: WorkloadRef, wanted: string) {
  return eventually(
    async () => {
      const status = await runtime.status(ref);
      return status.health === wanted ? status : undefined;
    },
    15_000,
    `${ref.name} to be ${wanted}`,
  );
}

describe('the local runtime, long-running workloads', () => {
  it('gives a service its PORT and calls it healthy once /health answers', async () => {
    const runtime = await started();
    const port = await freePort();
    const service = nodeWorkload('service', 'web', httpServerScript('hello'), { port });
    await runtime.apply([service]);
    const status = await health(runtime, service, 'healthy');
    expect(status).toMatchObject({
      readyReplicas: 1,
      desiredReplicas: 1,
      address: `http://127.0.0.1:${port}`,
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello');
    const pods = await runtime.pods('test');
    expect(pods).toEqual([
      expect.objectContaining({ name: 'web-1-0', phase: 'Running', ready: true, restarts: 0 }),
    ]);
  });

  it('keeps a service whose /health fails progressing, saying why', async () => {
    const runtime = await started();
    const service = nodeWorkload('service', 'sick', httpServerScript('x', 503), {
      port: await freePort(),
    });
    await runtime.apply([service]);
    const status = await eventually(async () => {
      const s = await runtime.status(service);
      return s.message.includes('503') ? s : undefined;
    });
    expect(status.health).toBe('progressing');
    expect(status.message).toBe('health check answered 503');
  });

  it('gives services without a port free ports of their own, one per replica', async () => {
    const runtime = await started();
    const a = nodeWorkload('service', 'a', httpServerScript('a'), { replicas: 2 });
    const b = nodeWorkload('service', 'b', httpServerScript('b'));
    await runtime.apply([a, b]);
    const sa = await health(runtime, a, 'healthy');
    const sb = await health(runtime, b, 'healthy');
    expect(sa.readyReplicas).toBe(2);
    expect(sa.address).not.toBe(sb.address);
    expect(await (await fetch(`${sb.address}/`)).text()).toBe('b');
  });

  it('restarts a deployment that exits, and calls a crash loop failed', async () => {
    const runtime = await started();
    const crashing = nodeWorkload(
      'deployment',
      'crasher',
      'console.log("starting"); process.exit(2)',
    );
    await runtime.apply([crashing]);
    const status = await health(runtime, crashing, 'failed');
    expect(status.message).toMatch(/^CrashLoopBackOff: exited with code 2 \(\d+ restarts\)$/);
    const pods = await runtime.pods();
    expect(pods[0]?.restarts).toBeGreaterThanOrEqual(2);
  });

  it('runs replicas of a deployment and calls it healthy once they stayed up', async () => {
    const runtime = await started();
    const worker = nodeWorkload(
      'deployment',
      'worker',
      'console.log("up"); setInterval(() => {}, 1000)',
      { replicas: 3 },
    );
    await runtime.apply([worker]);
    const status = await health(runtime, worker, 'healthy');
    expect(status.readyReplicas).toBe(3);
    expect((await runtime.pods()).map((p) => p.name).sort()).toEqual([
      'worker-1-0',
      'worker-1-1',
      'worker-1-2',
    ]);
  });

  it('stops the processes of a deleted or replaced workload', async () => {
    const runtime = await started();
    const port = await freePort();
    const v1 = nodeWorkload(
      'service',
      'web',
      `${httpServerScript('v1')}; console.log('pid ' + process.pid)`,
      { port },
    );
    await runtime.apply([v1]);
    await health(runtime, v1, 'healthy');
    const pidLine = await eventually(async () => {
      for await (const line of runtime.logs(v1)) if (line.line.startsWith('pid ')) return line.line;
      return undefined;
    });
    const firstPid = Number(pidLine.slice(4));
    const v2 = nodeWorkload('service', 'web', httpServerScript('v2'), { port });
    await runtime.apply([v2]);
    expect(isAlive(firstPid)).toBe(false);
    await health(runtime, v2, 'healthy');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('v2');
    await runtime.delete(v2);
    expect(await isListening(port)).toBe(false);
  });
});
