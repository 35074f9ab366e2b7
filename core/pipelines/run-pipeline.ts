import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { JobContext, JobEnd, JobOutcome } from '../jobs/index.js';
import { LABELS, type Runtime } from '../runtime/types.js';
import type { SourceFetcher } from '../source/index.js';
import type { Store } from '../store/types.js';
import { LogCopier } from '../tasks/copy-logs.js';
import { loadTaskFromGit } from '../tasks/load-unit.js';
import { renderWorkload } from '../tasks/render-workload.js';
import { describeRef, waitUntilHealthy } from '../tasks/wait-healthy.js';
import { type Clock, isoTime, type Job } from '../types.js';
import { executeDag, type PipelineStatus, type TaskState } from './execute-dag.js';
import type { PipelinePlan, PlannedPipelineTask } from './plan-pipeline.js';
import { refuseStepTakeover } from './refuse-step-takeover.js';

/** A pipeline run as the state route reports it, kept in the store. */
export interface PipelineRunRecord {
  id: string;
  name: string;
  pipeline: string;
  namespace: string;
  status: PipelineStatus;
  repository: string | null;
  directory: string | null;
  branch: string;
  commit: string | null;
  identity: string | null;
  created: string;
  startTime: string | null;
  endTime: string | null;
  tasks: (TaskState & {
    name: string;
    dependance: string[];
    runIfError: boolean;
    workload: string;
  })[];
}

export interface RunPipelineDeps {
  store: Store;
  runtime: Runtime;
  source: SourceFetcher;
  clock: Clock;
  /** How long one task may take to finish. */
  taskTimeoutMs: number;
  healthPollMs?: number;
}

/** The record of a pipeline run that has not started yet (written when it is queued). */
export function pendingRun(
  id: string,
  plan: PipelinePlan,
  identity: string | null,
  created: string,
): PipelineRunRecord {
  return {
    id,
    name: plan.name,
    pipeline: plan.pipeline,
    namespace: plan.namespace,
    status: 'pending',
    repository: plan.repository,
    directory: plan.directory,
    branch: plan.branch,
    commit: plan.commit,
    identity,
    created,
    startTime: null,
    endTime: null,
    tasks: plan.tasks.map((t) => ({
      name: t.name,
      dependance: t.dependance,
      runIfError: t.runIfError,
      workload: t.workload,
      status: 'pending',
      startTime: null,
      endTime: null,
      message: null,
    })),
  };
}

/**
 * The `PIPELINE_RUN` handler: runs each task of the plan as a workload in the namespace, in DAG
 * order, recording every task's state as it changes. A kill (the job withdrawn) stops the running
 * tasks; a failed task fails the run (the job ends in ERROR).
 */
export async function runPipeline(context: JobContext, deps: RunPipelineDeps): Promise<JobOutcome> {
  const { job, signal, log } = context;
  const plan = job.params as unknown as PipelinePlan;
  const key = job.id;
  const record =
    deps.store.getRecord<PipelineRunRecord>('pipelines', key) ??
    pendingRun(job.id, plan, job.identity, job.created);
  const save = (patch: Partial<PipelineRunRecord>) => {
    Object.assign(record, patch);
    deps.store.putRecord('pipelines', key, record.namespace, record);
  };
  const now = () => isoTime(deps.clock.now());
  // A run picked up again after a crash starts its tasks over: each pick-up labels its steps'
  // workloads anew, so a step that finished before the crash is not taken for this one's.
  const pickUp = `${job.id}.${randomBytes(4).toString('hex')}`;
  save({
    status: 'running',
    startTime: record.startTime ?? now(),
    tasks: record.tasks.map((t) => ({
      ...t,
      status: 'pending',
      startTime: null,
      endTime: null,
      message: null,
    })),
  });
  log(
    `pipeline ${plan.pipeline} runs as ${plan.name} in namespace ${plan.namespace}: ${plan.tasks.length} task(s)`,
  );
  const earlier = await refuseStepTakeover(deps, plan);
  await deps.runtime.ensureNamespace(plan.namespace);
  // Runs from before steps ignored their schedule left cron jobs firing outside any run; on
  // Kubernetes a step's Job is another kind of object and would not replace them.
  for (const info of earlier.filter((w) => w.kind === 'cronjob')) {
    await deps.runtime.delete(info);
    log(
      `${describeRef(info)} of an earlier run deleted: a pipeline step runs once, not on a schedule`,
    );
  }
  // A step still running from before a crash (the local runtime restarts it, a cluster keeps
  // it) would run beside the steps it depends on, which start over: it is stopped first, and
  // runs again in its turn.
  for (const info of earlier.filter((w) => w.kind === 'job')) {
    if ((await deps.runtime.status(info)).health !== 'progressing') continue;
    await deps.runtime.delete(info);
    log(`${describeRef(info)} of an interrupted attempt stopped: the run starts its tasks over`);
  }

  const status = await executeDag(
    plan.tasks,
    {
      run: (task, taskSignal) => runTask(task, taskSignal, context, deps, plan, pickUp),
      changed: (name, state) => {
        save({ tasks: record.tasks.map((t) => (t.name === name ? { ...t, ...state } : t)) });
        log(
          `task ${name} ${state.status}${state.message && state.status !== 'succeeded' ? `: ${state.message}` : ''}`,
        );
      },
      now,
    },
    signal,
  );
  save({ status, endTime: now() });
  const counts = (['succeeded', 'failed', 'killed', 'skipped'] as const)
    .map((s) => `${record.tasks.filter((t) => t.status === s).length} ${s}`)
    .join(', ');
  const message = `pipeline ${plan.name} ${status}: ${counts}`;
  log(message);
  if (status === 'failed') {
    throw new SlipwayError('WORKLOAD_FAILED', message, {
      details: { pipeline: plan.name, status },
    });
  }
  return { result: { pipeline: plan.name, namespace: plan.namespace, status }, message };
}

/**
 * A `PIPELINE_RUN` job that ended without completing and will not run again leaves no run
 * `pending` or `running`: stopped (withdrawn, or timed out), the run is killed; otherwise
 * (failed for good, given up after its worker stopped too often) it failed. Tasks that never
 * started are skipped, those that ran are killed. A run the handler already ended is left as
 * it is.
 */
export function settleEndedPipelineRun(
  job: Job,
  end: JobEnd,
  deps: Pick<RunPipelineDeps, 'store' | 'clock'>,
): void {
  const record = deps.store.getRecord<PipelineRunRecord>('pipelines', job.id);
  if (!record || (record.status !== 'pending' && record.status !== 'running')) return;
  const now = isoTime(deps.clock.now());
  const ended: PipelineRunRecord = {
    ...record,
    status: end.status === 'STOPPED' ? 'killed' : 'failed',
    endTime: now,
    tasks: record.tasks.map((t) =>
      t.status === 'pending'
        ? {
            ...t,
            status: 'skipped',
            endTime: now,
            message: `skipped: the run ended (${end.message})`,
          }
        : t.status === 'running'
          ? {
              ...t,
              status: 'killed',
              endTime: now,
              message: `killed: the run ended (${end.message})`,
            }
          : t,
    ),
  };
  deps.store.putRecord('pipelines', job.id, ended.namespace, ended);
}

async function runTask(
  task: PlannedPipelineTask,
  signal: AbortSignal,
  context: JobContext,
  deps: RunPipelineDeps,
  plan: PipelinePlan,
  pickUp: string,
): Promise<boolean> {
  const loaded = await loadTaskFromGit(
    deps.source,
    {
      repository: task.repository,
      directory: task.directory,
      branch: plan.branch,
      commit: task.commit,
    },
    signal,
  );
  if (task.manifest.schedule) {
    // DESIGN.md 7.2: a step starts when its dependances finished and runs once; a cron job would
    // "succeed" on being scheduled and then fire every night outside any run.
    context.log(
      `task ${task.name}: schedule "${task.manifest.schedule}" of its manifest is ignored inside a pipeline; it runs once now`,
    );
  }
  const workload = renderWorkload(task.manifest, {
    namespace: plan.namespace,
    checkoutDir: loaded.checkout.dir,
    directory: loaded.directory,
    repository: task.repository,
    commit: task.commit,
    digest: task.commit,
    name: task.workload,
    schedule: null,
    // Every run (and every pick-up of one) is a new workload, so an identical earlier run does
    // not count as this one.
    labels: { [LABELS.pipeline]: plan.name, 'slipway.dev/run': pickUp },
  });
  const ref = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
  await deps.runtime.apply([workload]);
  const copier = new LogCopier(deps.runtime, context.log);
  copier.follow(ref);
  try {
    await waitUntilHealthy(deps.runtime, [ref], {
      timeoutMs: deps.taskTimeoutMs,
      signal,
      log: () => {},
      clock: deps.clock,
      pollMs: deps.healthPollMs ?? 250,
      lastLines: (r) => copier.lastLines(r),
      beforeFailure: (r) => copier.drain([r], 2000),
    });
    await copier.drain([ref], 2000);
    return true;
  } catch (error) {
    if (signal.aborted) {
      // A kill stops what runs.
      await deps.runtime.delete(ref);
      return false;
    }
    await copier.drain([ref], 500);
    if (error instanceof SlipwayError && error.code === 'TIMEOUT') {
      // The wait gave up but the workload would go on (and later succeed) while the run says the
      // step failed and skips what follows: stop it, as a kill does.
      const within = `it did not finish within ${Math.round(deps.taskTimeoutMs / 1000)} s`;
      const stopped = await deps.runtime.delete(ref).then(
        () => `stopped ${describeRef(ref)}: ${within}`,
        (failure: unknown) =>
          `could not stop ${describeRef(ref)} (${within}): ${(failure as Error).message}; it may still be running`,
      );
      context.log(`task ${task.name}: ${stopped}`);
      // After the first line: the last lines the wait quoted, if any, stay last.
      const [first, ...rest] = error.message.split('\n');
      const message = [`${first}; ${stopped}`, ...rest].join('\n');
      throw new SlipwayError('TIMEOUT', message, {
        details: error.details,
        cause: error,
        ...(error.hint ? { hint: error.hint } : {}),
      });
    }
    throw error;
  } finally {
    await copier.stop();
  }
}
