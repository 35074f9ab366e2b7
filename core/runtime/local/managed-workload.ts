import type { Cron } from 'croner';
import type { PodPhase, Workload, WorkloadRef } from '../types.js';
import { LogBuffer } from './log-buffer.js';
import type { StartedProcess } from './start-process.js';

/** How one run of a job (or a cron job's latest run) went; persisted, so a finished job stays finished. */
export interface RunRecord {
  pod: string;
  /** ISO-8601 UTC. */
  startTime: string;
  completionTime: string | null;
  exitCode: number | null;
  /** `running`, `exited with code 0`, `killed by SIGKILL`... */
  message: string;
}

/** One process of a workload (a pod): a replica of a deployment or service, or one run. */
export interface Instance {
  podName: string;
  /** PORT given to it (service replicas). */
  port: number | null;
  process: StartedProcess | null;
  phase: PodPhase;
  ready: boolean;
  /** Times it was started again after exiting. */
  restarts: number;
  /** Restarts since it was last ready: the crash-loop verdict. */
  restartsSinceReady: number;
  /** Exits in a row that came before it stayed up long enough: the backoff exponent. */
  quickExits: number;
  startTime: string | null;
  lastExit: string | null;
  lastExitCode: number | null;
  /** What the last readiness check said (services). */
  healthDetail: string | null;
  /** Ends the readiness checks of the current process. */
  probes: AbortController | null;
  timers: Set<NodeJS.Timeout>;
}

/** A workload the runtime runs: the desired state, its processes and its output. */
export interface ManagedWorkload {
  workload: Workload;
  /** `hashWorkload(workload)`: what apply compares. */
  hash: string;
  /** Counts changes; part of every pod name. */
  revision: number;
  created: string;
  /** PORT of each service replica, by replica index. */
  ports: number[];
  logs: LogBuffer;
  instances: Instance[];
  /** A job's run, or a cron job's latest run. */
  run: RunRecord | null;
  cron: Cron | null;
  /** Set once it is replaced, deleted or shut down: its processes' exits are then expected. */
  stopped: boolean;
}

/** A workload about to be launched: no processes, an empty log, no run yet. */
export function newManaged(
  init: Pick<ManagedWorkload, 'workload' | 'hash' | 'revision' | 'created'>,
  logBufferLines: number,
): ManagedWorkload {
  return {
    ...init,
    ports: [],
    logs: new LogBuffer(logBufferLines),
    instances: [],
    run: null,
    cron: null,
    stopped: false,
  };
}

/** A pod that has not started yet. */
export function newInstance(podName: string, port: number | null): Instance {
  return {
    podName,
    port,
    process: null,
    phase: 'Pending',
    ready: false,
    restarts: 0,
    restartsSinceReady: 0,
    quickExits: 0,
    startTime: null,
    lastExit: null,
    lastExitCode: null,
    healthDetail: null,
    probes: null,
    timers: new Set(),
  };
}

/** Runs `fn` after `ms` on a timer the instance owns: cleared when it stops, never keeping Node alive. */
export function later(instance: Instance, ms: number, fn: () => void): void {
  const timer = setTimeout(() => {
    instance.timers.delete(timer);
    fn();
  }, ms);
  timer.unref();
  instance.timers.add(timer);
}

/** Cancels the instance's timers and readiness checks. */
export function quiet(instance: Instance): void {
  for (const timer of instance.timers) clearTimeout(timer);
  instance.timers.clear();
  instance.probes?.abort();
  instance.probes = null;
}

/** `<namespace>/<name>`: one workload per name in a namespace, whatever its kind. */
export function workloadKey(ref: Pick<WorkloadRef, 'namespace' | 'name'>): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The kind, namespace and name of a workload. */
export function refOf(workload: Workload): WorkloadRef {
  return { kind: workload.kind, namespace: workload.namespace, name: workload.name };
}
