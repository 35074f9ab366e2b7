import { SlipwayError } from '../errors.js';
import type { EnqueueResult, JobQueue } from '../jobs/index.js';
import type { Runtime, WorkloadKind, WorkloadPhase } from '../runtime/types.js';
import { redact, type SourceFetcher } from '../source/index.js';
import type { Store } from '../store/types.js';
import type { Job } from '../types.js';
import {
  planTaskDeploy,
  refuseTaskTakeover,
  type TaskDeployInput,
  type TaskDeployPlan,
  type TaskOrigin,
  type TaskRecord,
  taskTarget,
} from './deploy-task.js';
import type { ConfigLoadParams } from './load-configuration.js';
import { runtimeMisfit } from './runtime-fit.js';
import { ownerOf } from './workload-owner.js';

/** A task's state as DataTask reports it (`GET /v1/task/state/:id`). */
export interface TaskStateView {
  id: string;
  namespace: string;
  name: string;
  kind: WorkloadKind;
  status: WorkloadPhase;
  startTime?: string;
  completionTime?: string;
  message?: string;
  /** The pattern and deployment definition it was deployed from, when it was. */
  origin?: TaskOrigin;
}

/** A configuration load as DataTask reports it. */
export interface ConfigLoadView {
  work_id: string;
  status: 'pending' | 'running' | 'done' | 'error';
  configuration?: unknown;
  error?: string;
}

export interface TaskServiceDeps {
  store: Store;
  queue: JobQueue;
  runtime: Runtime;
  source: SourceFetcher;
  /** Resolves when a job's handler no longer runs in this process. */
  settled: (jobId: string) => Promise<void>;
}

/** Tasks deployed one by one (the DataTask surface) and configuration loading. */
export class TaskService {
  constructor(private readonly deps: TaskServiceDeps) {}

  /**
   * Validates the task now (a bad manifest or path is an error of this call) and queues its
   * deploy; a newer deploy of the same task supersedes a queued older one.
   */
  async deploy(
    input: TaskDeployInput,
  ): Promise<{ job: EnqueueResult['job']; plan: TaskDeployPlan }> {
    const plan = await planTaskDeploy(this.deps.source, input);
    const misfit = runtimeMisfit(this.deps.runtime, plan.manifest, {
      namespace: plan.namespace,
      name: plan.name,
      schedule: plan.schedule ?? '',
    });
    if (misfit) {
      throw new SlipwayError('BAD_REQUEST', `${misfit}; nothing was queued`, {
        problems: [{ path: 'manifest', message: misfit }],
      });
    }
    await refuseTaskTakeover(this.deps, plan);
    const { job } = this.deps.queue.enqueue({
      type: 'TASK_DEPLOY',
      target: taskTarget(plan.namespace, plan.name),
      params: plan as unknown as Record<string, unknown>,
      commitId: plan.commit,
      identity: input.identity,
      supersede: true,
    });
    return { job, plan };
  }

  /** The state of the task a `TASK_DEPLOY` job deployed, read from the runtime. */
  async state(id: string): Promise<TaskStateView> {
    const job = this.deps.store.getJob(id);
    if (job?.type !== 'TASK_DEPLOY')
      throw new SlipwayError('NOT_FOUND', `task '${id}' does not exist`);
    const plan = job.params as unknown as TaskDeployPlan;
    const base = {
      id,
      namespace: plan.namespace,
      name: plan.name,
      kind: plan.kind,
      ...(plan.origin ? { origin: plan.origin } : {}),
    };
    if (job.status === 'QUEUED') return { ...base, status: 'pending' };
    const times = {
      ...(job.startTime ? { startTime: job.startTime } : {}),
      ...(job.endTime ? { completionTime: job.endTime } : {}),
    };
    if (job.status === 'STOPPED')
      return {
        ...base,
        status: 'failed',
        ...times,
        ...(job.message ? { message: job.message } : {}),
      };
    // The runtime has one workload of the task's name: once a later deploy of it ran, that
    // workload is the later one's, and this deploy's state is what its job recorded.
    const later = this.laterDeploy(job);
    if (later) {
      return {
        ...base,
        status:
          job.status === 'COMPLETE' ? 'succeeded' : job.status === 'RUNNING' ? 'running' : 'failed',
        ...times,
        message: `since replaced by task deploy ${later.id}${job.message ? `; this one ended: ${job.message}` : ''}`,
      };
    }
    const status = await this.deps.runtime.status({
      kind: plan.kind,
      namespace: plan.namespace,
      name: plan.name,
    });
    if (status.health === 'missing') {
      const failed = job.status === 'ERROR';
      return {
        ...base,
        ...(failed ? times : {}),
        status: failed ? 'failed' : 'unknown',
        message: failed ? (job.message ?? status.message) : status.message,
      };
    }
    return {
      ...base,
      status: job.status === 'ERROR' && status.phase !== 'succeeded' ? 'failed' : status.phase,
      ...(status.startTime ? { startTime: status.startTime } : {}),
      ...(status.completionTime ? { completionTime: status.completionTime } : {}),
      ...(status.message
        ? { message: job.status === 'ERROR' ? (job.message ?? status.message) : status.message }
        : {}),
    };
  }

  /** The first deploy of the same task queued after `job` that has started, if any. */
  private laterDeploy(job: Job): Job | undefined {
    const { items } = this.deps.store.listJobs(
      { target: job.target, type: 'TASK_DEPLOY' },
      { offset: 0, limit: 100 },
    );
    let next: Job | undefined;
    for (const other of items) {
      if (other.id === job.id) break;
      if (other.startTime) next = other;
    }
    return next;
  }

  /**
   * Deletes a task's workload from the runtime and its record, and answers the kind deleted. For
   * a service that is the Deployment and the Service; asked for a deployment that is a service's,
   * it deletes the whole service.
   *
   * @example
   * await tasks.delete('deployment', 'shop', 'web') // 'service' when web is a service task
   */
  async delete(asked: WorkloadKind, namespace: string, name: string): Promise<WorkloadKind> {
    // A service task is a Deployment plus a Service (DESIGN.md section 5), and DataTask lists its
    // Deployment among the deployments (seed 001). Deleting only the Deployment would leave a
    // Service (and Ingress) with nothing behind it, which no DataTask list shows.
    const kind =
      asked === 'deployment' && (await this.isService(namespace, name)) ? 'service' : asked;
    // DataTask deletes what DataTask deploys (its tasks and its pipelines' steps); a workspace's
    // or a nullplatform deployment's workload is theirs to remove, by their owner's leave.
    const [found] = (await this.deps.runtime.list({ kind, namespace })).filter(
      (info) => info.name === name,
    );
    const owner = found ? ownerOf(this.deps.store, found) : undefined;
    if (owner && owner.kind !== 'task' && owner.kind !== 'pipeline') {
      throw new SlipwayError(
        'CONFLICT',
        `${kind} '${name}' in namespace '${namespace}' belongs to ${owner.text}, not to a task deployed over the DataTask API: remove it there`,
      );
    }
    // A deploy still running for it would apply it again.
    const active = this.deps.store.listJobs(
      { target: taskTarget(namespace, name), status: ['QUEUED', 'RUNNING'] },
      { offset: 0, limit: 100 },
    ).items;
    for (const job of active) {
      this.deps.queue.withdraw(job.id, 'delete');
      await this.deps.settled(job.id);
    }
    const deleted = await this.deps.runtime.delete({ kind, namespace, name });
    const recorded = this.deps.store.getRecord<TaskRecord>('tasks', `${namespace}/${name}`);
    if (recorded?.kind === kind) this.deps.store.deleteRecord('tasks', `${namespace}/${name}`);
    // A withdrawn deploy of a job deletes the job itself (it stops what it started), so the
    // runtime may find nothing left: the task existed all the same, and is gone now.
    const withdrawn = active.some((job) => (job.params as unknown as TaskDeployPlan).kind === kind);
    if (!deleted && !withdrawn && recorded?.kind !== kind)
      throw new SlipwayError(
        'NOT_FOUND',
        `${kind} '${name}' not found in namespace '${namespace}'`,
      );
    return kind;
  }

  private async isService(namespace: string, name: string): Promise<boolean> {
    const services = await this.deps.runtime.list({ kind: 'service', namespace });
    return services.some((service) => service.name === name);
  }

  /** Tasks deployed through DataTask (all namespaces, or one). */
  records(namespace?: string): TaskRecord[] {
    return this.deps.store.listRecords<TaskRecord>('tasks', namespace);
  }

  /** Queues the loading of a task's manifest.json or a pipeline's pipeline.json from git. */
  loadConfiguration(params: ConfigLoadParams, identity: string | null): Job {
    return this.deps.queue.enqueue({
      type: 'CONFIG_LOAD',
      target: `config:${params.unit}:${redact(params.repository)}/${params.directory}@${params.branch}`,
      params: { ...params },
      identity,
    }).job;
  }

  /** Where a configuration load stands: `pending`, `running`, `done` with it, or `error` saying why. */
  configurationState(workId: string, unit: 'task' | 'pipeline'): ConfigLoadView {
    const job = this.deps.store.getJob(workId);
    if (job?.type !== 'CONFIG_LOAD' || (job.params as { unit?: string }).unit !== unit) {
      throw new SlipwayError('NOT_FOUND', `work '${workId}' does not exist`);
    }
    if (job.status === 'QUEUED') return { work_id: workId, status: 'pending' };
    if (job.status === 'RUNNING') return { work_id: workId, status: 'running' };
    if (job.status === 'COMPLETE')
      return { work_id: workId, status: 'done', configuration: job.result?.configuration };
    return { work_id: workId, status: 'error', error: job.message ?? 'the loading stopped' };
  }
}
