import { Cron } from 'croner';
import { isoTime } from '../../types.js';
import { type ManagedWorkload, newInstance } from './managed-workload.js';
import { type RuntimeContext, spawnInstance } from './spawn-instance.js';
import { describeExit, exitCodeOf, succeeded } from './start-process.js';

/** Finished cron runs kept as pods (Kubernetes' successfulJobsHistoryLimit default). */
const CRON_HISTORY = 3;

/**
 * Runs a job (or one firing of a cron job) to completion as pod `podName`, recording its start
 * and how it ended in `managed.run`. A run cut short because the workload was replaced, deleted
 * or shut down records nothing: after a restart of Slipway an unfinished job runs again.
 */
export async function runToCompletion(
  context: RuntimeContext,
  managed: ManagedWorkload,
  podName: string,
): Promise<void> {
  if (managed.stopped) return;
  const instance = newInstance(podName, null);
  managed.instances.push(instance);
  if (managed.workload.kind === 'cronjob') {
    const finished = managed.instances.filter((i) => i.process === null && i !== instance);
    const drop = new Set(finished.slice(0, Math.max(finished.length - CRON_HISTORY, 0)));
    managed.instances = managed.instances.filter((i) => !drop.has(i));
  }
  const run = {
    pod: podName,
    startTime: isoTime(Date.now()),
    completionTime: null,
    exitCode: null,
    message: 'running',
  };
  managed.run = run;
  const started = spawnInstance(context, managed, instance);
  const exit = await started.exited;
  instance.process = null;
  if (managed.stopped) return;
  instance.phase = succeeded(exit) ? 'Succeeded' : 'Failed';
  instance.lastExit = describeExit(exit);
  instance.lastExitCode = exitCodeOf(exit);
  managed.run = {
    ...run,
    completionTime: isoTime(Date.now()),
    exitCode: instance.lastExitCode,
    message: instance.lastExit,
  };
  // A job has one run: its output is complete. A cron job's followers end with their run.
  if (managed.workload.kind === 'job') managed.logs.close();
  else managed.logs.wake();
  context.persist();
}

/**
 * Registers a cron job's schedule (UTC, seconds allowed). A firing while the previous run still
 * runs is skipped, as Kubernetes' `concurrencyPolicy: Forbid` does; each run is pod
 * `<name>-<epoch seconds>`.
 */
export function scheduleCron(context: RuntimeContext, managed: ManagedWorkload): Cron {
  const { workload } = managed;
  const logger = context.settings.logger;
  return new Cron(
    workload.schedule ?? '',
    {
      timezone: 'UTC',
      unref: true,
      catch: (error) => logger.error({ err: error, workload: workload.name }, 'cron firing failed'),
    },
    () => {
      if (managed.stopped) return;
      if (managed.instances.some((i) => i.process !== null)) {
        logger.info(
          { namespace: workload.namespace, workload: workload.name },
          'cron firing skipped: the previous run still runs',
        );
        return;
      }
      const podName = `${workload.name}-${Math.floor(Date.now() / 1000)}`;
      void runToCompletion(context, managed, podName);
    },
  );
}
