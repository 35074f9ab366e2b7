import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime, WorkloadRef, WorkloadStatus } from '../core/runtime/types.js';
import {
  collect,
  eventually,
  freePort,
  get,
  nodeWorkload,
  runtimes,
  serverScript,
  workdir,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();

function until(
  runtime: Runtime,
  ref: WorkloadRef,
  test: (status: WorkloadStatus) => boolean,
  what: string,
): Promise<WorkloadStatus> {
  return eventually(async () => {
    const status = await runtime.status(ref);
    return test(status) ? status : undefined;
  }, what);
}

describe('the local runtime health-checks services', () => {
  it('gives a service its container port as PORT and calls it healthy once /health answers', async () => {
    const { runtime } = await start();
    const port = await freePort();
    const service = nodeWorkload('service', 'web', serverScript('hello'), { port });
    await runtime.apply([service]);
    const status = await until(runtime, service, (s) => s.health === 'healthy', 'web healthy');
    expect(status).toMatchObject({
      phase: 'running',
      readyReplicas: 1,
      desiredReplicas: 1,
      message: '1/1 ready',
      address: `http://127.0.0.1:${port}`,
    });
    expect(await get(`http://127.0.0.1:${port}/`)).toMatch(/^hello \d+$/);
    expect(await runtime.pods('test')).toEqual([
      expect.objectContaining({ name: 'web-1-0', phase: 'Running', ready: true, restarts: 0 }),
    ]);
  });

  it('finds a service that listens on IPv6 loopback only, as localhost may resolve', async () => {
    const { runtime } = await start();
    const port = await freePort();
    const script = `require('node:http')
      .createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'v6'))
      .listen(Number(process.env.PORT), '::1')`;
    const service = nodeWorkload('service', 'six', script, { port });
    await runtime.apply([service]);
    const status = await until(runtime, service, (s) => s.health === 'healthy', 'six healthy');
    expect(status.message).toBe('1/1 ready');
  });

  it('asks a service that does not listen yet again soon, not only after the health interval', async () => {
    // One check a minute once it answered; before that, 100 ms, then twice as long each time.
    const { runtime } = await start({ healthIntervalMs: 60_000 });
    const late = `setTimeout(() => { ${serverScript('late')} }, 400);`;
    const service = nodeWorkload('service', 'late', late, { port: await freePort() });
    await runtime.apply([service]);
    const status = await until(runtime, service, (s) => s.health === 'healthy', 'late healthy');
    expect(status.message).toBe('1/1 ready');
  });

  it('is ready only while /health answers 2xx or 3xx, and says why not', async () => {
    const { runtime } = await start();
    const dir = workdir({ unhealthy: '' });
    const service = nodeWorkload('service', 'sick', serverScript('x'), {
      port: await freePort(),
      workdir: dir,
    });
    await runtime.apply([service]);
    const sick = await until(runtime, service, (s) => s.message.includes('503'), 'a 503');
    expect(sick).toMatchObject({
      health: 'progressing',
      readyReplicas: 0,
      message: 'health check answered 503',
    });
    rmSync(path.join(dir, 'unhealthy'));
    await until(runtime, service, (s) => s.health === 'healthy', 'healthy after the fix');
    writeFileSync(path.join(dir, 'unhealthy'), '');
    const again = await until(runtime, service, (s) => s.readyReplicas === 0, 'not ready again');
    expect(again.health).toBe('progressing');
    expect((await runtime.pods())[0]?.ready).toBe(false);
  });

  it('says the check failed while nothing listens', async () => {
    const { runtime } = await start();
    const silent = nodeWorkload('service', 'silent', 'setInterval(() => {}, 1000)', {
      port: await freePort(),
    });
    await runtime.apply([silent]);
    const status = await until(
      runtime,
      silent,
      (s) => s.message.includes('ECONNREFUSED'),
      'refused',
    );
    expect(status).toMatchObject({
      health: 'progressing',
      message: 'health check failed: ECONNREFUSED',
    });
  });

  it('gives services without a port the first free ports from basePort, one per replica', async () => {
    const basePort = await freePort();
    // Something else holds basePort: the runtime must skip it.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(basePort, '127.0.0.1', resolve));
    try {
      const { runtime } = await start({ basePort });
      const a = nodeWorkload('service', 'a', serverScript('a'), { replicas: 2 });
      const b = nodeWorkload('service', 'b', serverScript('b'));
      await runtime.apply([a, b]);
      const sa = await until(runtime, a, (s) => s.health === 'healthy', 'a healthy');
      const sb = await until(runtime, b, (s) => s.health === 'healthy', 'b healthy');
      expect(sa.readyReplicas).toBe(2);
      // Each replica answers on a port of its own: the address names both.
      const addressesA = (sa.address ?? '').split(', ');
      expect(addressesA).toHaveLength(2);
      const portA = Number(new URL(addressesA[0] ?? '').port);
      const portB = Number(new URL(sb.address ?? '').port);
      expect(portA).toBeGreaterThan(basePort);
      expect(portB).toBeGreaterThan(basePort);
      expect(portB).not.toBe(portA);
      expect(await get(`${addressesA[0]}/`)).toMatch(/^a /);
      expect(await get(`${sb.address}/`)).toMatch(/^b /);
      // Replica 1 of a listens on a third port, neither a's replica 0 nor b's.
      const listening = (await collect(runtime.logs(a)))
        .filter((l) => l.line.startsWith('listening on '))
        .map((l) => [l.pod, Number(l.line.slice('listening on '.length))]);
      expect(listening.sort()).toEqual([
        ['a-1-0', portA],
        ['a-1-1', expect.any(Number)],
      ]);
      const portA1 = Number(listening.find(([pod]) => pod === 'a-1-1')?.[1]);
      expect([basePort, portA, portB]).not.toContain(portA1);
      expect(addressesA[1]).toBe(`http://127.0.0.1:${portA1}`);
      expect(await get(`http://127.0.0.1:${portA1}/`)).toMatch(/^a /);
    } finally {
      squatter.close();
    }
  });

  it('moves a service whose container port another program holds to a free port', async () => {
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const { runtime } = await start();
      const service = nodeWorkload('service', 'moved', serverScript('moved'), { port });
      await runtime.apply([service]);
      const status = await until(runtime, service, (s) => s.health === 'healthy', 'healthy');
      expect(status.address).not.toBe(`http://127.0.0.1:${port}`);
      expect(await get(`${status.address}/`)).toMatch(/^moved /);
      expect((await runtime.pods('test'))[0]).toMatchObject({ restarts: 0 });
    } finally {
      squatter.close();
    }
  });

  it('restarts a replica on a free port when another program took its own before it bound it', async () => {
    const { runtime } = await start({ restartBackoff: { initialMs: 500, maxMs: 500 } });
    const port = await freePort();
    // The first run exits before it listens; another program takes the port meanwhile, as a
    // second Slipway on the machine may between the port check and the bind.
    const script = `if (!require('node:fs').existsSync('ran')) {
      require('node:fs').writeFileSync('ran', '');
      process.exit(1);
    }
    ${serverScript('second')}`;
    const service = nodeWorkload('service', 'raced', script, { port, workdir: workdir() });
    await runtime.apply([service]);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const status = await until(runtime, service, (s) => s.health !== 'progressing', 'a verdict');
      expect(status).toMatchObject({ health: 'healthy', message: '1/1 ready' });
      expect(status.address).not.toBe(`http://127.0.0.1:${port}`);
      expect(await get(`${status.address}/`)).toMatch(/^second /);
      // Once at least: on a loaded machine another program may take the next free port too,
      // and the runtime moves on again, as it should.
      const [pod] = await runtime.pods('test');
      expect(pod).toMatchObject({ name: 'raced-1-0' });
      expect(pod?.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      squatter.close();
    }
  });

  it('fails a service that keeps crashing, like a deployment', async () => {
    const { runtime } = await start({ crashLoopThreshold: 2 });
    const crashing = nodeWorkload('service', 'down', 'process.exit(1)', { port: await freePort() });
    await runtime.apply([crashing]);
    const status = await until(runtime, crashing, (s) => s.health === 'failed', 'a crash loop');
    expect(status.message).toBe('CrashLoopBackOff: exited with code 1 (2 restarts)');
  });
});
