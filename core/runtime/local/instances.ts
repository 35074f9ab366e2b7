import type { PodPhase } from '../types.js';
import type { StartedProcess } from './processes.js';

/** One process of a workload: a replica of a deployment or service, or one run of a job. */
export interface Instance {
  podName: string;
  /** PORT given to it (services). */
  port: number | null;
  process: StartedProcess | null;
  phase: PodPhase;
  ready: boolean;
  /** Failed starts since it last became ready: drives backoff and the crash-loop verdict. */
  failuresSinceReady: number;
  restarts: number;
  startTime: string | null;
  lastExit: string | null;
  /** What the last health check said (services). */
  healthDetail: string | null;
  timers: Set<NodeJS.Timeout>;
}

export function newInstance(podName: string, port: number | null): Instance {
  return {
    podName,
    port,
    process: null,
    phase: 'Pending',
    ready: false,
    failuresSinceReady: 0,
    restarts: 0,
    startTime: null,
    lastExit: null,
    healthDetail: null,
    timers: new Set(),
  };
}

/** Runs `fn` after `ms` on a timer owned by the instance (cleared when it stops), not keeping Node alive. */
export function later(instance: Instance, ms: number, fn: () => void): void {
  const timer = setTimeout(() => {
    instance.timers.delete(timer);
    fn();
  }, ms);
  timer.unref();
  instance.timers.add(timer);
}

export function clearTimers(instance: Instance): void {
  for (const timer of instance.timers) clearTimeout(timer);
  instance.timers.clear();
}
