import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../core/errors.js';
import type { LogLine } from '../core/runtime/types.js';
import {
  collect,
  eventually,
  nodeWorkload,
  runtimes,
  sleep,
  textOf,
} from './helpers/local-runtime/harness.js';

const { start } = runtimes();

describe('the local runtime streams logs', () => {
  it('splits stdout and stderr into timestamped lines tagged with the pod, partial and unterminated lines included', async () => {
    const { runtime } = await start();
    const job = nodeWorkload(
      'job',
      'writer',
      `const out = (s) => process.stdout.write(s);
       out('hel'); setTimeout(() => { out('lo\\r\\nsecond\\n'); process.stderr.write('to stderr\\n');
       setTimeout(() => out('no newline at the end'), 30); }, 30);`,
    );
    await runtime.apply([job]);
    const lines = await collect(runtime.logs(job, { follow: true }));
    const stdout = lines.filter((l) => l.line !== 'to stderr').map((l) => l.line);
    expect(stdout).toEqual(['hello', 'second', 'no newline at the end']);
    expect(lines.map((l) => l.line)).toContain('to stderr');
    for (const line of lines) {
      expect(line.pod).toBe('writer-1-0');
      expect(new Date(line.time).toISOString()).toBe(line.time);
    }
  });

  it('follows a job live from its first line to its last, and ends when the job ends', async () => {
    const { runtime } = await start();
    const script =
      'let i = 0; const t = setInterval(() => { console.log("line " + i); if (++i === 300) clearInterval(t); }, 2)';
    const job = nodeWorkload('job', 'chatty', script);
    await runtime.apply([job]);
    const lines = await collect(runtime.logs(job, { follow: true }));
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}`));
    expect((await runtime.status(job)).health).toBe('healthy');
  });

  it('loses no line between the buffered part and the live part', async () => {
    const { runtime } = await start();
    const script =
      'let i = 0; const t = setInterval(() => { console.log("line " + i); if (++i === 400) clearInterval(t); }, 3)';
    const job = nodeWorkload('job', 'midway', script);
    await runtime.apply([job]);
    await eventually(
      async () => ((await textOf(runtime, job)).length >= 50 ? true : undefined),
      '50 lines',
    );
    const seen: string[] = [];
    for await (const line of runtime.logs(job, { follow: true })) {
      seen.push(line.line);
      // A slow reader: lines keep coming while it is busy.
      if (seen.length % 40 === 0) await sleep(20);
    }
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => `line ${i}`));
  });

  it('follows every line of a job that writes far more than the buffer holds at once', async () => {
    const { runtime } = await start({ logBufferLines: 100 });
    // One write of 20,000 lines: the pipe hands them over in reads of thousands at a time.
    const job = nodeWorkload(
      'job',
      'burst',
      'let s = ""; for (let i = 0; i < 20000; i++) s += "row " + i + "\\n"; process.stdout.write(s)',
    );
    await runtime.apply([job]);
    const lines = (await collect(runtime.logs(job, { follow: true }))).map((l) => l.line);
    expect(lines).toHaveLength(20000);
    expect(lines[0]).toBe('row 0');
    expect(lines.at(-1)).toBe('row 19999');
    // The buffer itself keeps only its last lines.
    expect(await textOf(runtime, job)).toHaveLength(100);
  });

  it('says how many lines a reader too slow for the buffer did not get', async () => {
    const { runtime } = await start({ logBufferLines: 50 });
    const job = nodeWorkload(
      'job',
      'flood',
      'let i = 0; const t = setInterval(() => { for (let j = 0; j < 20; j++) console.log("n " + i++); if (i >= 2000) clearInterval(t); }, 10)',
    );
    await runtime.apply([job]);
    const seen: string[] = [];
    for await (const line of runtime.logs(job, { follow: true })) {
      seen.push(line.line);
      if (seen.length % 10 === 0) await sleep(20);
      // Lines keep coming while the reader takes in a note: they are counted all the same.
      if (line.line.startsWith('(')) await sleep(200);
    }
    // Lines the reader fell behind on, and (on a busy machine) lines written before it came.
    const notes = seen.filter((line) =>
      /^\(\d+ (earlier )?line\(s\) not kept(: written faster than read)?\)$/.test(line),
    );
    expect(notes.length).toBeGreaterThan(0);
    const lost = notes.reduce((sum, note) => sum + Number(/\d+/.exec(note)?.[0]), 0);
    // Where the lines went missing, should they: the notes, where a line was skipped, the end.
    const gaps = seen.filter((line, i) => {
      const n = Number(/^n (\d+)$/.exec(line)?.[1] ?? Number.NaN);
      const before = Number(/^n (\d+)$/.exec(seen[i - 1] ?? '')?.[1] ?? Number.NaN);
      return !Number.isNaN(n) && !Number.isNaN(before) && n !== before + 1;
    });
    const account = JSON.stringify({ notes, gaps, first: seen[0], last: seen.at(-1) });
    expect(seen.at(-1), account).toBe('n 1999');
    expect(seen.length - notes.length + lost, account).toBe(2000);
  });

  it('starts a follow of output whose beginning is gone by saying how much is missing', async () => {
    const { runtime } = await start({ logBufferLines: 10 });
    const job = nodeWorkload('job', 'early', 'for (let i = 0; i < 100; i++) console.log("e " + i)');
    await runtime.apply([job]);
    await collect(runtime.logs(job, { follow: true }));
    const lines = (await collect(runtime.logs(job, { follow: true }))).map((l) => l.line);
    expect(lines).toEqual([
      '(90 earlier line(s) not kept)',
      ...Array.from({ length: 10 }, (_, i) => `e ${90 + i}`),
    ]);
    // A read of what is kept, not following, is the last lines alone, as a tail is.
    expect(await textOf(runtime, job)).toEqual(Array.from({ length: 10 }, (_, i) => `e ${90 + i}`));
  });

  it('keeps the last logBufferLines lines of the current revision only', async () => {
    const { runtime } = await start({ logBufferLines: 10 });
    const v1 = nodeWorkload('job', 'ring', 'for (let i = 0; i < 50; i++) console.log("v1 " + i)');
    await runtime.apply([v1]);
    await collect(runtime.logs(v1, { follow: true }));
    expect(await textOf(runtime, v1)).toEqual(Array.from({ length: 10 }, (_, i) => `v1 ${40 + i}`));
    const v2 = nodeWorkload('job', 'ring', 'console.log("v2")');
    await runtime.apply([v2]);
    await collect(runtime.logs(v2, { follow: true }));
    expect(await textOf(runtime, v2)).toEqual(['v2']);
  });

  it('follows a deployment until the signal aborts, or until it is changed or deleted', async () => {
    const { runtime } = await start();
    const forever = nodeWorkload(
      'deployment',
      'forever',
      'let i = 0; console.log("hello"); setInterval(() => console.log("tick " + i++), 50)',
    );
    await runtime.apply([forever]);
    const controller = new AbortController();
    const aborted: LogLine[] = [];
    setTimeout(() => controller.abort(), 400);
    for await (const line of runtime.logs(forever, { follow: true, signal: controller.signal })) {
      aborted.push(line);
    }
    expect(aborted[0]?.line).toBe('hello');
    expect(aborted.length).toBeGreaterThan(3);

    const untilChanged = collect(runtime.logs(forever, { follow: true }));
    await sleep(200);
    const changed = nodeWorkload(
      'deployment',
      'forever',
      'console.log("v2"); setInterval(() => {}, 1000)',
    );
    await runtime.apply([changed]);
    const before = await untilChanged;
    expect(before.map((l) => l.line)).not.toContain('v2');
    expect(before.every((l) => l.pod === 'forever-1-0')).toBe(true);

    const untilDeleted = collect(runtime.logs(changed, { follow: true }));
    await eventually(
      async () => ((await textOf(runtime, changed)).includes('v2') ? true : undefined),
      'v2 output',
    );
    await runtime.delete(changed);
    expect((await untilDeleted).map((l) => l.line)).toEqual(['v2']);
  });

  it("follows a cron job's active run to its end, and ends at once when no run is active", async () => {
    const { runtime } = await start();
    const cron = nodeWorkload(
      'cronjob',
      'report',
      'console.log("begin"); setTimeout(() => console.log("end"), 400)',
      { schedule: '* * * * * *' },
    );
    const yearly = nodeWorkload('cronjob', 'yearly', 'console.log("happy new year")', {
      schedule: '0 0 1 1 *',
    });
    await runtime.apply([cron, yearly]);
    const idle = Date.now();
    expect(await collect(runtime.logs(yearly, { follow: true }))).toEqual([]);
    expect(Date.now() - idle).toBeLessThan(200);
    await eventually(
      async () => ((await runtime.status(cron)).phase === 'running' ? true : undefined),
      'a run',
    );
    const run = await collect(runtime.logs(cron, { follow: true }));
    expect(run.map((l) => l.line)).toEqual(['begin', 'end']);
    expect((await runtime.status(cron)).phase).not.toBe('running');
  });

  it('refuses the logs of a workload that does not exist', async () => {
    const { runtime } = await start();
    const error = await collect(
      runtime.logs({ kind: 'job', namespace: 'test', name: 'ghost' }),
    ).catch((e: unknown) => e);
    expect(isSlipwayError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe("job 'ghost' does not exist in namespace 'test'");
  });
});
