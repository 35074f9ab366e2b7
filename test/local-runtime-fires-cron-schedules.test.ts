import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  eventually,
  nodeWorkload,
  runtimes,
  sleep,
  textOf,
  workdir,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();

const EVERY_SECOND = '* * * * * *';

describe('the local runtime fires cron schedules', () => {
  it('is healthy once scheduled, fires every second, and names each run after its start', async () => {
    const { runtime } = await start();
    const cron = nodeWorkload('cronjob', 'tick', 'console.log("tick")', { schedule: EVERY_SECOND });
    await runtime.apply([cron]);
    const scheduled = await runtime.status(cron);
    expect(scheduled).toMatchObject({ health: 'healthy', phase: 'pending' });
    expect(scheduled.message).toMatch(
      /^scheduled "\* \* \* \* \* \*" \(UTC\); next run at \d{4}-\d\d-\d\dT/,
    );
    const ticks = await eventually(async () => {
      const lines = await textOf(runtime, cron);
      return lines.length >= 2 ? lines : undefined;
    }, 'two firings');
    expect(ticks.slice(0, 2)).toEqual(['tick', 'tick']);
    const pods = await runtime.pods();
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const pod of pods) {
      const seconds = Number(/^tick-(\d+)$/.exec(pod.name)?.[1]);
      expect(Math.abs(seconds - Date.parse(pod.startTime ?? '') / 1000)).toBeLessThan(2);
    }
    const after = await eventually(async () => {
      const status = await runtime.status(cron);
      return status.phase === 'succeeded' ? status : undefined;
    }, 'a finished run');
    expect(after).toMatchObject({ health: 'healthy', exitCode: 0 });
    expect(after.message).toContain('last run exited with code 0 at ');
  });

  it('skips a firing while the previous run still runs, and reports the active run', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const slow = nodeWorkload(
      'cronjob',
      'slow',
      "const fs = require('fs'); fs.appendFileSync('log', 'start ' + Date.now() + '\\n'); setTimeout(() => fs.appendFileSync('log', 'end ' + Date.now() + '\\n'), 2200)",
      { schedule: EVERY_SECOND, workdir: dir },
    );
    await runtime.apply([slow]);
    let most = 0;
    let sawRunning = false;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const running = (await runtime.pods()).filter((p) => p.phase === 'Running').length;
      most = Math.max(most, running);
      const status = await runtime.status(slow);
      if (status.phase === 'running') {
        sawRunning = true;
        expect(status.message).toMatch(/slow-\d+ running since /);
      }
      await sleep(50);
    }
    expect(sawRunning).toBe(true);
    expect(most).toBe(1);
    const events = readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n');
    const starts = events.filter((e) => e.startsWith('start')).length;
    // Without Forbid, four seconds of a per-second schedule would start four runs.
    expect(starts).toBeGreaterThanOrEqual(1);
    expect(starts).toBeLessThanOrEqual(2);
    // A run starts only after the one before it ended.
    const times = events.map((e) => [e.split(' ')[0], Number(e.split(' ')[1])] as const);
    for (let i = 1; i < times.length; i++) {
      if (times[i]?.[0] === 'start') expect(times[i - 1]?.[0]).toBe('end');
    }
  });

  it('reports how the last run ended, and stops firing once deleted', async () => {
    const { runtime } = await start();
    const dir = workdir();
    const failing = nodeWorkload(
      'cronjob',
      'failing',
      "require('fs').appendFileSync('runs', 'x'); process.exit(5)",
      { schedule: EVERY_SECOND, workdir: dir },
    );
    await runtime.apply([failing]);
    const status = await eventually(async () => {
      const s = await runtime.status(failing);
      return s.phase === 'failed' ? s : undefined;
    }, 'a failed run');
    // A failed run does not make the schedule unhealthy (the next run may succeed).
    expect(status).toMatchObject({ health: 'healthy', exitCode: 5 });
    expect(status.message).toContain('last run exited with code 5');
    expect(await runtime.delete(failing)).toBe(true);
    const runs = readFileSync(path.join(dir, 'runs'), 'utf8').length;
    await sleep(1500);
    expect(readFileSync(path.join(dir, 'runs'), 'utf8').length).toBe(runs);
  });
});
