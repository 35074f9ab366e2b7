import { existsSync, readFileSync } from 'node:fs';
import { isRunning } from '../../process-alive.js';
import type { Logger } from '../../types.js';
import { MARKER_VARIABLE } from './start-process.js';
import { signalGroup } from './stop-process.js';

/** A process a previous Slipway recorded as running. */
export interface RecordedProcess {
  pid: number;
  marker: string;
  /** `<namespace>/<name>` of the workload it ran for, for the log. */
  workload: string;
}

const GONE_WITHIN_MS = 5000;
const POLL_MS = 20;

/**
 * Kills processes a Slipway that died without stopping them left running (SIGKILL of the parent
 * leaves its detached children alive), and waits until they are gone so their ports are free.
 * A pid is killed only while it runs with the marker recorded for it in `/proc/<pid>/environ`:
 * a pid reused by someone else is left alone. Where `/proc` does not exist (macOS) the marker
 * cannot be read: the process group is killed if it still exists, and a warning says so.
 * Returns the pids it killed.
 */
export async function killLeftovers(
  recorded: RecordedProcess[],
  logger: Logger,
): Promise<number[]> {
  const hasProc = existsSync('/proc/self/environ');
  const killed: number[] = [];
  for (const leftover of recorded) {
    const verdict = hasProc ? ownership(leftover) : 'unverifiable';
    if (verdict === 'theirs') continue;
    if (!signalGroup(leftover.pid, 'SIGKILL')) continue;
    killed.push(leftover.pid);
    const fields = { pid: leftover.pid, workload: leftover.workload };
    if (verdict === 'unverifiable') {
      logger.warn(fields, 'killed a leftover process group (no /proc here to check its marker)');
    } else logger.warn(fields, 'killed a process left running by a previous Slipway');
  }
  const deadline = Date.now() + GONE_WITHIN_MS;
  for (const pid of killed) {
    while (isRunning(pid) && Date.now() < deadline) await sleep(POLL_MS);
  }
  return killed;
}

function ownership(leftover: RecordedProcess): 'ours' | 'theirs' {
  try {
    const environ = readFileSync(`/proc/${leftover.pid}/environ`, 'utf8');
    return environ.split('\0').includes(`${MARKER_VARIABLE}=${leftover.marker}`)
      ? 'ours'
      : 'theirs';
  } catch {
    // Gone (ENOENT) or another user's process (EACCES): nothing of ours to kill.
    return 'theirs';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
