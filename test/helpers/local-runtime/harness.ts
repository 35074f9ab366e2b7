import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { createLocalRuntime, type LocalRuntimeOptions } from '../../../core/runtime/local/index.js';
import type { LogLine, Runtime, Workload } from '../../../core/runtime/types.js';
import { eventually } from '../wait.js';
import { tempDir } from './workloads.js';

export { freePort } from '../ports.js';
export { eventually, sleep } from '../wait.js';
export { nodeWorkload, ROOT, serverScript, tempDir, workdir } from './workloads.js';

/** Timings small enough for tests that wait on restarts and health checks. */
export const FAST: Partial<LocalRuntimeOptions> = {
  restartBackoff: { initialMs: 50, maxMs: 200 },
  healthIntervalMs: 100,
  stableAfterMs: 200,
  stopGraceMs: 1000,
};

/**
 * Registers an afterEach that stops every runtime the test started, and returns `start()`,
 * which creates a runtime on a fresh (or the given) state dir and starts it.
 */
export function runtimes() {
  const started: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((runtime) => runtime.stop()));
  });
  return {
    async start(options: Partial<LocalRuntimeOptions> = {}) {
      const stateDir = options.stateDir ?? tempDir();
      const runtime = createLocalRuntime({
        baseEnv: { PATH: process.env.PATH ?? '' },
        ...FAST,
        ...options,
        stateDir,
      });
      started.push(runtime);
      await runtime.start();
      return { runtime, stateDir };
    },
  };
}

/** Everything an async iterable yields. */
export async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const all: LogLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

/** The text of every line a workload wrote so far. */
export async function textOf(runtime: Runtime, ref: Workload): Promise<string[]> {
  return (await collect(runtime.logs(ref))).map((l) => l.line);
}

/** The pid a workload printed as `pid <n>`, once it did. */
export function printedPid(runtime: Runtime, ref: Workload, prefix = 'pid '): Promise<number> {
  return eventually(async () => {
    const line = (await textOf(runtime, ref)).findLast((l) => l.startsWith(prefix));
    return line === undefined ? undefined : Number(line.slice(prefix.length));
  }, `${ref.name} to print its pid`);
}

/** Whether `pid` runs (a zombie nobody reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
  } catch {
    return true;
  }
}

/** GET `url`, answering the body text. */
export async function get(url: string): Promise<string> {
  const response = await fetch(url, { headers: { connection: 'close' } });
  return response.text();
}
