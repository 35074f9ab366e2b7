import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../core/runtime/local/index.js';
import { httpServerScript, isAlive, nodeWorkload, testRuntime } from './helpers/local-runtime.js';
import { freePort } from './helpers/ports.js';
import { eventually, ROOT } from './helpers/server.js';

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

describe('the local runtime after Slipway restarts', () => {
  it('kills what a SIGKILLed Slipway left running and brings the service back exactly once; finished jobs stay finished', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-restore-'));
    const port = await freePort();
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/hold-local-runtime.ts', stateDir, String(port)],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const leftoverPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      holder.stdout?.on('data', (chunk) => {
        out += chunk;
        const match = /ready (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      holder.once('exit', (code) => reject(new Error(`holder exited ${code}: ${out}`)));
    });
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    // The parent died without stopping its child: the service process is still there.
    expect(isAlive(leftoverPid)).toBe(true);

    const runtime = testRuntime({ stateDir });
    runtimes.push(runtime);
    await runtime.start();
    await eventually(
      async () => (isAlive(leftoverPid) ? undefined : true),
      5000,
      'the leftover to die',
    );
    const service = { kind: 'service' as const, namespace: 'test', name: 'survivor' };
    const status = await eventually(async () => {
      const s = await runtime.status(service);
      return s.health === 'healthy' ? s : undefined;
    });
    expect(status.address).toBe(`http://127.0.0.1:${port}`);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('survivor');
    expect((await runtime.pods()).filter((p) => p.workload.name === 'survivor')).toHaveLength(1);
    const job = await runtime.status({ kind: 'job', namespace: 'test', name: 'finished' });
    expect(job).toMatchObject({ health: 'healthy', phase: 'succeeded', exitCode: 0 });
    const jobLines: string[] = [];
    for await (const line of runtime.logs({ kind: 'job', namespace: 'test', name: 'finished' }))
      jobLines.push(line.line);
    expect(jobLines).toEqual([]);
  });

  it('after a clean stop, starts the same workloads again on the same ports', async () => {
    const first = testRuntime();
    const port = await freePort();
    await first.start();
    const service = nodeWorkload('service', 'web', httpServerScript('again'), { port });
    await first.apply([service]);
    await eventually(async () =>
      (await first.status(service)).health === 'healthy' ? true : undefined,
    );
    await first.stop();
    const second = testRuntime({
      stateDir: (first as unknown as { options: { stateDir: string } }).options.stateDir,
    });
    runtimes.push(second);
    await second.start();
    await eventually(async () =>
      (await second.status(service)).health === 'healthy' ? true : undefined,
    );
    expect((await second.apply([service]))[0]?.action).toBe('unchanged');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('again');
  });
});
