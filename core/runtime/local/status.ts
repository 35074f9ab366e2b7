import type { WorkloadRef, WorkloadStatus } from '../types.js';
import type { Managed } from './local-runtime.js';

/**
 * Judges a local workload's health from its processes (a pure function of what the runtime
 * tracks): jobs by their run's exit, cron jobs by being scheduled, deployments and services by
 * how many replicas are ready, with a crash loop counted as a failure.
 */
export function workloadStatus(
  ref: WorkloadRef,
  managed: Managed | undefined,
  crashLoopThreshold: number,
): WorkloadStatus {
  const base = { kind: ref.kind, namespace: ref.namespace, name: ref.name };
  if (!managed) {
    return {
      ...base,
      health: 'missing',
      phase: 'unknown',
      readyReplicas: 0,
      desiredReplicas: 0,
      message: `${ref.kind} '${ref.name}' does not exist in namespace ${ref.namespace}`,
      startTime: null,
      completionTime: null,
      exitCode: null,
      address: null,
    };
  }
  const { workload, run } = managed;
  const times = {
    startTime: run?.startTime ?? null,
    completionTime: run?.completionTime ?? null,
    exitCode: run?.exitCode ?? null,
  };
  if (workload.kind === 'job') {
    const finished = Boolean(run?.completionTime);
    const succeeded = finished && run?.exitCode === 0;
    return {
      ...base,
      health: !finished ? 'progressing' : succeeded ? 'healthy' : 'failed',
      phase: !run ? 'pending' : !finished ? 'running' : succeeded ? 'succeeded' : 'failed',
      readyReplicas: succeeded ? 1 : 0,
      desiredReplicas: 1,
      message: !finished ? 'running' : (run?.message ?? ''),
      ...times,
      address: null,
    };
  }
  if (workload.kind === 'cronjob') {
    const active = managed.instances.some((i) => i.phase === 'Running');
    const next = managed.cron?.nextRun();
    const last = run?.completionTime ? `; last run ${run.message} at ${run.completionTime}` : '';
    return {
      ...base,
      health: 'healthy',
      phase: active
        ? 'running'
        : !run?.completionTime
          ? 'pending'
          : run.exitCode === 0
            ? 'succeeded'
            : 'failed',
      readyReplicas: 0,
      desiredReplicas: 0,
      message: `scheduled "${workload.schedule}"${next ? `, next run at ${next.toISOString()}` : ''}${last}`,
      ...times,
      address: null,
    };
  }
  const ready = managed.instances.filter((i) => i.ready).length;
  const crashing = managed.instances.find((i) => i.failuresSinceReady >= crashLoopThreshold);
  const waiting = managed.instances.find((i) => !i.ready);
  let message = `${ready}/${workload.replicas} ready`;
  if (crashing)
    message = `CrashLoopBackOff: ${crashing.lastExit ?? 'exited'} (${crashing.restarts} restarts)`;
  else if (waiting?.lastExit) message = `${waiting.lastExit}, restarting`;
  else if (waiting?.healthDetail) message = waiting.healthDetail;
  else if (waiting) message = 'starting';
  const earliest =
    managed.instances
      .map((i) => i.startTime)
      .filter((t): t is string => t !== null)
      .sort()[0] ?? null;
  return {
    ...base,
    health: crashing ? 'failed' : ready >= workload.replicas ? 'healthy' : 'progressing',
    phase: ready > 0 || workload.replicas === 0 ? 'running' : crashing ? 'failed' : 'pending',
    readyReplicas: ready,
    desiredReplicas: workload.replicas,
    message,
    startTime: earliest,
    completionTime: null,
    exitCode: null,
    address:
      workload.kind === 'service' && managed.ports[0]
        ? `http://127.0.0.1:${managed.ports[0]}`
        : null,
  };
}
