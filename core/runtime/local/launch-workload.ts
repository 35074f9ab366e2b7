import { assignPorts } from './assign-ports.js';
import { type ManagedWorkload, newInstance, quiet } from './managed-workload.js';
import { runToCompletion, scheduleCron } from './run-to-completion.js';
import type { RuntimeContext } from './spawn-instance.js';
import { stopProcess } from './stop-process.js';
import { superviseReplica } from './supervise-replica.js';

/**
 * Starts what a workload runs: a job's run (`<name>-<revision>-0`; a job that finished before a
 * restart stays finished), a cron job's schedule, or the replicas of a deployment or service
 * (`<name>-<revision>-<i>`, services with their ports). `takenPorts` belong to other workloads.
 */
export async function launchWorkload(
  context: RuntimeContext,
  managed: ManagedWorkload,
  previousPorts: readonly number[],
  takenPorts: ReadonlySet<number>,
): Promise<void> {
  const { workload, run } = managed;
  if (workload.kind === 'job') {
    if (!run?.completionTime) {
      void runToCompletion(context, managed, `${workload.name}-${managed.revision}-0`);
      return;
    }
    managed.instances.push({
      ...newInstance(run.pod, null),
      phase: run.exitCode === 0 ? 'Succeeded' : 'Failed',
      startTime: run.startTime,
      lastExit: run.message,
      lastExitCode: run.exitCode,
    });
    managed.logs.close();
    return;
  }
  if (workload.kind === 'cronjob') {
    managed.cron = scheduleCron(context, managed);
    return;
  }
  const { basePort } = context.settings;
  managed.ports = await assignPorts(workload, previousPorts, takenPorts, basePort);
  for (let i = 0; i < workload.replicas; i++) {
    const instance = newInstance(
      `${workload.name}-${managed.revision}-${i}`,
      managed.ports[i] ?? null,
    );
    managed.instances.push(instance);
    superviseReplica(context, managed, instance);
  }
}

/** Stops everything a workload runs (schedule, timers, health checks, processes); its log ends. */
export async function haltWorkload(managed: ManagedWorkload, stopGraceMs: number): Promise<void> {
  managed.stopped = true;
  managed.cron?.stop();
  await Promise.all(
    managed.instances.map(async (instance) => {
      quiet(instance);
      if (instance.process) await stopProcess(instance.process, stopGraceMs);
      instance.process = null;
      instance.ready = false;
    }),
  );
  managed.logs.close();
}
