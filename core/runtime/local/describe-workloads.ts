import type { ListFilter, PodInfo, WorkloadInfo } from '../types.js';
import { type ManagedWorkload, refOf } from './managed-workload.js';

/** Whether a workload passes `list()`'s filter: kind, namespace and every label. */
export function matchesFilter(managed: ManagedWorkload, filter: ListFilter): boolean {
  const { workload } = managed;
  return (
    (filter.kind === undefined || workload.kind === filter.kind) &&
    (filter.namespace === undefined || workload.namespace === filter.namespace) &&
    Object.entries(filter.labels ?? {}).every(([key, value]) => workload.labels[key] === value)
  );
}

/** A workload as `list()` shows it. */
export function toWorkloadInfo({ workload, created }: ManagedWorkload): WorkloadInfo {
  return {
    ...refOf(workload),
    labels: { ...workload.labels },
    created,
    schedule: workload.schedule,
    replicas: workload.replicas,
    specHash: workload.specHash,
  };
}

/** One pod per process instance: replicas, the job's run, a cron job's latest runs. */
export function toPods({ workload, instances }: ManagedWorkload): PodInfo[] {
  return instances.map((instance) => ({
    namespace: workload.namespace,
    name: instance.podName,
    workload: refOf(workload),
    phase: instance.phase,
    ready: instance.ready,
    restarts: instance.restarts,
    startTime: instance.startTime,
  }));
}
