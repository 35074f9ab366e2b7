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

/**
 * When process `pid` began, as the kernel counts it (clock ticks since boot, from
 * /proc/<pid>/stat): with its pid, it tells one process from a later one given the same pid.
 * Null without /proc or when there is no such process.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: state is the 3rd field, starttime the 22nd.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
