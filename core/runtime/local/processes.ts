import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LineSplitter } from './log-buffer.js';

/** The environment variable that marks a process as ours, so a later start can find leftovers. */
export const MARKER_VARIABLE = 'SLIPWAY_INSTANCE';

export interface StartedProcess {
  child: ChildProcess;
  pid: number | null;
  /** Unique per process; also in its environment as SLIPWAY_INSTANCE. */
  marker: string;
  /** Resolves when the process has exited and its output is drained. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
}

/**
 * Starts `command` in its own process group (so stopping it stops its children too), feeding
 * each output line to `onLine`. A program that cannot start exits with code 127.
 */
export function startProcess(
  command: string[],
  options: { cwd: string; env: Record<string, string>; onLine: (line: string) => void },
): StartedProcess {
  const marker = randomUUID();
  const [program = '', ...args] = command;
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: { ...options.env, [MARKER_VARIABLE]: marker },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new LineSplitter(options.onLine);
  const err = new LineSplitter(options.onLine);
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.write(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => err.write(chunk));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    error?: string;
  }>((resolve) => {
    let spawnError: string | undefined;
    child.once('error', (error) => {
      spawnError = `cannot start ${program}: ${error.message}`;
      // 'close' does not always follow a failed spawn.
      if (child.pid === undefined) {
        out.flush();
        err.flush();
        resolve({ code: 127, signal: null, error: spawnError });
      }
    });
    child.once('close', (code, signal) => {
      out.flush();
      err.flush();
      resolve(spawnError ? { code: 127, signal: null, error: spawnError } : { code, signal });
    });
  });
  return { child, pid: child.pid ?? null, marker, exited };
}

/** Sends `signal` to the whole process group led by `pid`; false when it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited.
 */
export async function stopProcess(started: StartedProcess, graceMs: number): Promise<void> {
  if (
    started.pid === null ||
    started.child.exitCode !== null ||
    started.child.signalCode !== null
  ) {
    await started.exited;
    return;
  }
  signalGroup(started.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (started.pid !== null) signalGroup(started.pid, 'SIGKILL');
  }, graceMs);
  timer.unref();
  await started.exited;
  clearTimeout(timer);
  // Children that ignored SIGTERM must not outlive their leader.
  if (started.pid !== null) signalGroup(started.pid, 'SIGKILL');
}

/**
 * Kills a process left by a Slipway that died, if it still runs and carries our marker (a
 * reused pid belongs to someone else and is left alone).
 */
export function killLeftover(pid: number, marker: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return false;
  }
  if (!environ.split('\0').includes(`${MARKER_VARIABLE}=${marker}`)) return false;
  return signalGroup(pid, 'SIGKILL');
}

/** Describes how a process ended: `exited with code 1`, `killed by SIGKILL`. */
export function describeExit(exit: {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}): string {
  if (exit.error) return exit.error;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
