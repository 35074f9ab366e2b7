import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../core/runtime/local/index.js';
import { nodeWorkload, testRuntime } from './helpers/local-runtime.js';
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

describe('the local runtime, cron jobs and logs', () => {
  it('fires a cron job on its schedule, runs never overlapping, and is healthy once scheduled', async () => {
    const runtime = await started();
    const cron = nodeWorkload('cronjob', 'tick', 'console.log("tick " + Date.now())', {
      schedule: '* * * * * *',
    });
    await runtime.apply([cron]);
    const status = await runtime.status(cron);
    expect(status.health).toBe('healthy');
    expect(status.message).toMatch(/^scheduled "\* \* \* \* \* \*", next run at \d{4}-/);
    const ticks = await eventually(
      async () => {
        const lines: string[] = [];
        for await (const line of runtime.logs(cron)) lines.push(line.line);
        return lines.length >= 2 ? lines : undefined;
      },
      10_000,
      'two firings',
    );
    expect(ticks.every((line) => line.startsWith('tick '))).toBe(true);
    const after = await runtime.status(cron);
    expect(after.message).toContain('last run exited with code 0');
    expect(after.phase === 'succeeded' || after.phase === 'running').toBe(true);
  });

  it('does not start a cron run while the previous one still runs', async () => {
    const runtime = await started();
    const slow = nodeWorkload('cronjob', 'slow', 'console.log("run"); setTimeout(() => {}, 2500)', {
      schedule: '* * * * * *',
    });
    await runtime.apply([slow]);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const lines: string[] = [];
    for await (const line of runtime.logs(slow)) lines.push(line.line);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
  });

  it("follows a job's output live, without losing a line, and ends when the job ends", async () => {
    const runtime = await started();
    const script =
      'let i = 0; const t = setInterval(() => { console.log("line " + i); if (++i === 20) { clearInterval(t); process.stdout.write("no newline at the end"); } }, 10)';
    const job = nodeWorkload('job', 'chatty', script);
    await runtime.apply([job]);
    const lines: string[] = [];
    for await (const line of runtime.logs(job, { follow: true })) lines.push(line.line);
    expect(lines).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `line ${i}`),
      'no newline at the end',
    ]);
  });

  it('stops following when the signal aborts', async () => {
    const runtime = await started();
    const forever = nodeWorkload(
      'deployment',
      'forever',
      'console.log("hello"); setInterval(() => {}, 1000)',
    );
    await runtime.apply([forever]);
    const controller = new AbortController();
    const lines: string[] = [];
    setTimeout(() => controller.abort(), 500);
    for await (const line of runtime.logs(forever, { follow: true, signal: controller.signal }))
      lines.push(line.line);
    expect(lines).toEqual(['hello']);
  });
});
