import type { WorkloadRef, WorkloadStatus } from '../types.js';
import type { ManagedWorkload } from './managed-workload.js';

/**
 * Judges a local workload from what the runtime tracks, the way Argo CD judges its Kubernetes
 * twin (pure: no clock, no I/O).
 * - job: `progressing` while it runs; `healthy`/`succeeded` on exit 0; `failed` otherwise, with
 *   `exited with code N` or `killed by SIGNAL` and the exit code (128 + n for a signal).
 * - cronjob: `healthy` once scheduled. Phase: `running` while a run is active, otherwise how the
 *   latest run ended (`succeeded`/`failed`), `pending` before the first run: a DataTask user
 *   asking for a cron task's state wants its last outcome. The message gives the next run time.
 * - deployment/service: `healthy` when every replica is ready (0 replicas: at once); `failed`
 *   when a replica restarted `crashLoopThreshold` times without becoming ready
 *   (`CrashLoopBackOff: exited with code 1 (3 restarts)`; it keeps restarting in the background).
 */
export function workloadStatus(
  ref: WorkloadRef,
  managed: ManagedWorkload | undefined,
  crashLoopThreshold: number,
  now: Date,
): WorkloadStatus {
  const base = { kind: ref.kind, namespace: ref.namespace, name: ref.name };
  const none = { startTime: null, completionTime: null, exitCode: null, address: null };
  if (!managed) {
    return {
      ...base,
      ...none,
      health: 'missing',
      phase: 'unknown',
      readyReplicas: 0,
      desiredReplicas: 0,
      message: `${ref.kind} '${ref.name}' does not exist in namespace '${ref.namespace}'`,
    };
  }
  const { workload, run } = managed;
  const times = {
    startTime: run?.startTime ?? null,
    completionTime: run?.completionTime ?? null,
    exitCode: run?.exitCode ?? null,
    address: null,
  };
  const finished = Boolean(run?.completionTime);
  const ok = finished && run?.exitCode === 0;
  const outcome = ok ? 'succeeded' : 'failed';
  if (workload.kind === 'job') {
    return {
      ...base,
      ...times,
      health: !finished ? 'progressing' : ok ? 'healthy' : 'failed',
      phase: !run ? 'pending' : !finished ? 'running' : outcome,
      readyReplicas: ok ? 1 : 0,
      desiredReplicas: 1,
      message: !run ? 'waiting to start' : (run.message ?? ''),
    };
  }
  if (workload.kind === 'cronjob') {
    const active = managed.instances.find((i) => i.process !== null);
    const next = managed.cron?.nextRun(now);
    const parts = [`scheduled "${workload.schedule}" (UTC)`];
    if (next) parts.push(`next run at ${next.toISOString()}`);
    if (active) parts.push(`${active.podName} running since ${active.startTime}`);
    else if (run && finished) parts.push(`last run ${run.message} at ${run.completionTime}`);
    else if (run) parts.push(`last run ${run.message}`);
    return {
      ...base,
      ...times,
      completionTime: active ? null : times.completionTime,
      exitCode: active ? null : times.exitCode,
      health: 'healthy',
      phase: active ? 'running' : finished ? outcome : 'pending',
      readyReplicas: active ? 1 : 0,
      desiredReplicas: 0,
      message: parts.join('; '),
    };
  }
  const { instances } = managed;
  const ready = instances.filter((i) => i.ready).length;
  const crashing = instances.find((i) => i.restartsSinceReady >= crashLoopThreshold && !i.ready);
  const waiting = instances.find((i) => !i.ready);
  let message =
    workload.replicas === 0 ? 'scaled to 0 replicas' : `${ready}/${workload.replicas} ready`;
  // The reason comes first: it is what a deploy log quotes when a workload does not get healthy.
  const counted = (reason: string) =>
    workload.replicas > 1
      ? `${reason} (${waiting?.podName}; ${ready}/${workload.replicas} ready)`
      : reason;
  if (crashing) {
    message = `CrashLoopBackOff: ${crashing.lastExit ?? 'exited'} (${crashing.restarts} restarts)`;
  } else if (waiting?.process === null && waiting.lastExit) {
    message = counted(`${waiting.lastExit}, restarting`);
  } else if (waiting?.healthDetail) {
    message = counted(waiting.healthDetail);
  } else if (waiting) {
    message = counted('starting');
  }
  const running = instances.some((i) => i.process !== null);
  const starts = instances.map((i) => i.startTime).filter((t): t is string => t !== null);
  return {
    ...base,
    health: crashing ? 'failed' : ready >= workload.replicas ? 'healthy' : 'progressing',
    phase:
      crashing && ready === 0
        ? 'failed'
        : running || workload.replicas === 0
          ? 'running'
          : 'pending',
    readyReplicas: ready,
    desiredReplicas: workload.replicas,
    message,
    startTime: starts.sort()[0] ?? null,
    completionTime: null,
    exitCode: crashing?.lastExitCode ?? null,
    // Each replica answers on a port of its own here: every one is named.
    address:
      workload.kind === 'service' && managed.ports.length > 0
        ? managed.ports.map((port) => `http://127.0.0.1:${port}`).join(', ')
        : null,
  };
}
