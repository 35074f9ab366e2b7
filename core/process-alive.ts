import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether process `pid` runs: another user's counts, a zombie nobody reaped yet (leftovers of a
 * killed Slipway belong to init) does not. Without /proc, a signal 0 answers alone.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat');
  }
}
