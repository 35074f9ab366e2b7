import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_FILE } from '../core/runtime/local/state-file.js';
import {
  eventually,
  freePort,
  get,
  isAlive,
  nodeWorkload,
  printedPid,
  ROOT,
  runtimes,
  serverScript,
  tempDir,
  textOf,
  workdir,
} from './helpers/local-runtime/harness.js';
import { restoreWorkloads } from './helpers/local-runtime/restore-workloads.js';

const { start } = runtimes();
const strays: ChildProcess[] = [];
afterEach(() => {
  for (const child of strays.splice(0)) child.kill('SIGKILL');
});

/** Runs a Slipway holding the restore workloads in a child process; resolves with their pids. */
async function holder(stateDir: string, port: number, dir: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/local-runtime/hold-runtime.ts', stateDir, String(port), dir],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  strays.push(child);
  const pids = await new Promise<{ service: number; unfinished: number }>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}: ${out}`)));
  });
  return { child, pids };
}

describe('the local runtime restores what it ran after Slipway restarts', () => {
  it('after a SIGKILL of Slipway: kills the leftovers, serves again exactly once, re-runs the unfinished job only', async () => {
    const stateDir = tempDir();
    const dir = workdir();
    const port = await freePort();
    const { child, pids } = await holder(stateDir, port, dir);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // The parent died without stopping its children: they still run, detached.
    expect(isAlive(pids.service)).toBe(true);
    expect(isAlive(pids.unfinished)).toBe(true);

    const { runtime } = await start({ stateDir });
    expect(isAlive(pids.service)).toBe(false);
    expect(isAlive(pids.unfinished)).toBe(false);

    const { service, finished, unfinished, cron } = restoreWorkloads(port, dir);
    const status = await eventually(async () => {
      const s = await runtime.status(service);
      return s.health === 'healthy' ? s : undefined;
    }, 'the service to be healthy again');
    expect(status.address).toBe(`http://127.0.0.1:${port}`);
    const answer = await get(`http://127.0.0.1:${port}/`);
    expect(answer).toMatch(/^survivor \d+$/);
    expect(answer).not.toBe(`survivor ${pids.service}`);
    expect((await runtime.pods()).filter((p) => p.workload.name === 'survivor')).toEqual([
      expect.objectContaining({ name: 'survivor-1-0', phase: 'Running', ready: true }),
    ]);

    expect(await runtime.status(finished)).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
      exitCode: 0,
    });
    expect(readFileSync(path.join(dir, 'finished-runs'), 'utf8')).toBe('run\n');
    expect((await runtime.pods()).find((p) => p.workload.name === 'finished')?.phase).toBe(
      'Succeeded',
    );

    const again = await printedPid(runtime, unfinished);
    expect(again).not.toBe(pids.unfinished);
    expect(readFileSync(path.join(dir, 'unfinished-runs'), 'utf8')).toBe('run\nrun\n');
    expect((await runtime.status(unfinished)).health).toBe('progressing');
    writeFileSync(path.join(dir, 'release'), '');
    await eventually(
      async () => ((await runtime.status(unfinished)).health === 'healthy' ? true : undefined),
      'the job to end',
    );

    expect((await runtime.status(cron)).message).toMatch(
      /^scheduled "0 3 \* \* \*" \(UTC\); next run at .*T03:00:00/,
    );
    expect(await runtime.listNamespaces()).toEqual(['test']);
    for (const ref of [service, finished, unfinished, cron]) {
      expect((await runtime.apply([ref]))[0]?.action).toBe('unchanged');
    }
  });

  it('leaves alone a process that reuses a recorded pid without the marker', async () => {
    const first = await start();
    const worker = nodeWorkload(
      'deployment',
      'worker',
      "console.log('pid ' + process.pid); setInterval(() => {}, 1000)",
    );
    await first.runtime.apply([worker]);
    const pid = await printedPid(first.runtime, worker);
    const file = path.join(first.stateDir, STATE_FILE);
    const whileRunning = readFileSync(file, 'utf8');
    expect(whileRunning).toContain(`"pid": ${pid}`);
    await first.runtime.stop();
    // Someone else's process now has a pid the state file records (as if the pid was reused).
    const innocent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
    });
    strays.push(innocent);
    writeFileSync(file, whileRunning.replaceAll(`"pid": ${pid}`, `"pid": ${innocent.pid}`));
    const second = await start({ stateDir: first.stateDir });
    expect(isAlive(innocent.pid ?? 0)).toBe(true);
    await printedPid(second.runtime, worker);
  });

  it('gives each restored service its own port back, even where two asked for the same one', async () => {
    const first = await start();
    const port = await freePort();
    // `zz` got the port it asked for; `aa`, asking for it too later, got another one. Restored
    // in name order, `aa` comes first and must not take `zz`'s.
    const zz = nodeWorkload('service', 'zz', serverScript('zz'), { port });
    await first.runtime.apply([zz]);
    const aa = nodeWorkload('service', 'aa', serverScript('aa'), { port });
    await first.runtime.apply([zz, aa]);
    const healthy = (runtime: typeof first.runtime, workload: typeof zz) =>
      eventually(async () => {
        const s = await runtime.status(workload);
        return s.health === 'healthy' ? s : undefined;
      }, `${workload.name} healthy`);
    const zzBefore = await healthy(first.runtime, zz);
    const aaBefore = await healthy(first.runtime, aa);
    expect(zzBefore.address).toBe(`http://127.0.0.1:${port}`);
    expect(aaBefore.address).not.toBe(zzBefore.address);
    await first.runtime.stop();

    const second = await start({ stateDir: first.stateDir });
    expect((await healthy(second.runtime, zz)).address).toBe(zzBefore.address);
    expect((await healthy(second.runtime, aa)).address).toBe(aaBefore.address);
    expect(await get(`${zzBefore.address}/`)).toMatch(/^zz /);
  });

  it('after a clean stop: starts the same workloads on the same ports and runs an interrupted job again', async () => {
    const first = await start();
    const dir = workdir();
    const web = nodeWorkload('service', 'web', serverScript('again'), { workdir: dir });
    const job = nodeWorkload(
      'job',
      'slow',
      "require('fs').appendFileSync('slow-runs', 'run\\n'); setTimeout(() => {}, 60000)",
      { workdir: dir },
    );
    await first.runtime.apply([web, job]);
    const before = await eventually(async () => {
      const s = await first.runtime.status(web);
      return s.health === 'healthy' ? s : undefined;
    }, 'web healthy');
    // readFileSync throws until the job created the file; eventually() tries again.
    await eventually(
      () => (readFileSync(path.join(dir, 'slow-runs'), 'utf8') ? true : undefined),
      'the job to start',
    );
    await first.runtime.stop();
    await first.runtime.stop();
    expect(await first.runtime.list()).toEqual([]);

    const second = await start({ stateDir: first.stateDir });
    await second.runtime.start();
    expect((await second.runtime.pods()).map((p) => p.name).sort()).toEqual([
      'slow-1-0',
      'web-1-0',
    ]);
    const after = await eventually(async () => {
      const s = await second.runtime.status(web);
      return s.health === 'healthy' ? s : undefined;
    }, 'web healthy again');
    expect(after.address).toBe(before.address);
    expect(await get(`${after.address}/`)).toMatch(/^again /);
    await eventually(
      () => (readFileSync(path.join(dir, 'slow-runs'), 'utf8') === 'run\nrun\n' ? true : undefined),
      'the interrupted job to run again',
    );
    expect(await textOf(second.runtime, web)).toContain(
      `listening on ${new URL(after.address ?? '').port}`,
    );
  });
});
