import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { LineSplitter } from './line-splitter.js';
import { signalGroup } from './stop-process.js';

/**
 * The variable that marks a process as started by this runtime; its value is unique per process
 * and persisted with the pid, so a later start can tell a leftover from a reused pid.
 */
export const MARKER_VARIABLE = 'SLIPWAY_PROCESS_MARKER';

/** After the leader exits, output still buffered in its pipes is read for at most this long. */
const DRAIN_MS = 1000;

/** How a process ended. `error` is set when it could not start at all. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}

export interface StartedProcess {
  /** Pid of the leader, which is also the id of its process group; null when spawn failed. */
  pid: number | null;
  marker: string;
  /** The directory it was started in. */
  cwd: string;
  /** True once the leader has exited. */
  readonly ended: boolean;
  /** Resolves once the leader has exited and its output is drained; never rejects. */
  exited: Promise<ProcessExit>;
}

export interface StartProcessOptions {
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
}

/**
 * Starts `command` (no shell) as the leader of its own process group, so that stopping it stops
 * everything it started, feeding each line of stdout and stderr to `onLine`. When the leader exits
 * the rest of its group is killed, as a container's processes end with its PID 1.
 *
 * @example
 * const started = startProcess(['node', 'server.js'], { cwd, env, onLine: console.log });
 * const exit = await started.exited; // { code: 0, signal: null }
 */
export function startProcess(command: string[], options: StartProcessOptions): StartedProcess {
  const marker = randomUUID();
  const [program = '', ...args] = command;
  const out = new LineSplitter(options.onLine);
  const err = new LineSplitter(options.onLine);
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...options.env, [MARKER_VARIABLE]: marker },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // Invalid arguments (a NUL byte...) throw synchronously instead of emitting 'error'.
    const message = `cannot start ${program}: ${(error as Error).message}`;
    return failed(marker, options.cwd, message);
  }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.write(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => err.write(chunk));
  let ended = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    let result: ProcessExit | null = null;
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      ended = true;
      clearTimeout(drain);
      out.flush();
      err.flush();
      resolve(result ?? { code: null, signal: null });
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn 'error' only reports a failed kill(), which we do not use.
      if (child.pid !== undefined) return;
      const cwdMissing = error.code === 'ENOENT' && !existsSync(options.cwd);
      const reason = cwdMissing ? `directory ${options.cwd} does not exist` : error.message;
      result = { code: 127, signal: null, error: `cannot start ${program}: ${reason}` };
      // 'close' does not always follow a spawn that failed.
      finish();
    });
    child.once('exit', (code, signal) => {
      ended = true;
      result ??= { code, signal };
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      // A process that left the group may still hold the pipes open: stop waiting for it.
      drain = setTimeout(() => {
        // A starved event loop runs this timer before it reads the output already waiting in
        // the pipes: give that one poll for I/O (setImmediate runs after it), then stop.
        setImmediate(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        });
      }, DRAIN_MS);
      drain.unref();
    });
    child.once('close', (code, signal) => {
      result ??= { code, signal };
      finish();
    });
  });
  return {
    pid: child.pid ?? null,
    marker,
    cwd: options.cwd,
    get ended() {
      return ended;
    },
    exited,
  };
}

function failed(marker: string, cwd: string, error: string): StartedProcess {
  return {
    pid: null,
    marker,
    cwd,
    ended: true,
    exited: Promise.resolve({ code: 127, signal: null, error }),
  };
}

/** `exited with code 1`, `killed by SIGKILL`, or why it could not start. */
export function describeExit(exit: ProcessExit): string {
  if (exit.error) return exit.error;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/** The exit code as a shell (and Kubernetes) reports it: 128 + n for a signal. */
export function exitCodeOf(exit: ProcessExit): number | null {
  if (exit.code !== null) return exit.code;
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return null;
}

/** Whether the process ended well. */
export function succeeded(exit: ProcessExit): boolean {
  return exit.code === 0 && !exit.error;
}
