import type { StartedProcess } from './start-process.js';

/** Sends `signal` to the process group led by `pid`; false when there is no such group. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a started process and everything in its group: SIGTERM, then SIGKILL after `graceMs`
 * (as Kubernetes does with terminationGracePeriodSeconds). Resolves once it has exited and its
 * output is drained.
 */
export async function stopProcess(started: StartedProcess, graceMs: number): Promise<void> {
  if (started.pid === null || started.ended) {
    await started.exited;
    return;
  }
  const pid = started.pid;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  try {
    await started.exited;
  } finally {
    clearTimeout(timer);
  }
}
