import { SlipwayError } from '../errors.js';
import type { JobQueue } from '../jobs/index.js';
import type { Runtime } from '../runtime/types.js';
import type { SourceFetcher } from '../source/index.js';
import type { Store } from '../store/types.js';
import { runtimeMisfit } from '../tasks/index.js';
import { type Clock, isoTime, type Job } from '../types.js';
import { type PipelinePlan, type PipelineRunInput, planPipelineRun } from './plan-pipeline.js';
import { type PipelineRunRecord, pendingRun, settleEndedPipelineRun } from './run-pipeline.js';

export interface PipelineServiceDeps {
  store: Store;
  queue: JobQueue;
  source: SourceFetcher;
  /** Asked whether it can run each task at all, before the run is queued. */
  runtime: Pick<Runtime, 'cannotRun'>;
  clock: Clock;
  settled: (jobId: string) => Promise<void>;
}

/** Pipeline runs: queued after the whole DAG validated, reported per task, killed on demand. */
export class PipelineService {
  constructor(private readonly deps: PipelineServiceDeps) {}

  /** Validates the pipeline and all its tasks now, then queues the run. */
  async run(
    input: PipelineRunInput,
  ): Promise<{ job: Job; plan: PipelinePlan; record: PipelineRunRecord }> {
    const plan = await planPipelineRun(this.deps.source, input);
    // A task the runtime can never run would fail the run halfway, after the tasks before it ran.
    const problems = plan.tasks.flatMap((task) => {
      const misfit = runtimeMisfit(this.deps.runtime, task.manifest, {
        namespace: plan.namespace,
        name: task.workload,
        schedule: null,
      });
      return misfit
        ? [{ path: `tasks.${task.name}`, message: `task "${task.name}": ${misfit}` }]
        : [];
    });
    if (problems.length > 0) {
      throw new SlipwayError(
        'PIPELINE_INVALID',
        `pipeline "${plan.pipeline}" cannot run: ${problems.map((p) => p.message).join('; ')}`,
        { problems },
      );
    }
    return this.deps.store.transaction(() => {
      const { job } = this.deps.queue.enqueue({
        type: 'PIPELINE_RUN',
        target: `pipeline:${plan.namespace}/${plan.name}`,
        params: plan as unknown as Record<string, unknown>,
        commitId: plan.commit,
        identity: input.identity,
      });
      const record = pendingRun(job.id, plan, input.identity, isoTime(this.deps.clock.now()));
      this.deps.store.putRecord('pipelines', job.id, plan.namespace, record);
      return { job, plan, record };
    });
  }

  /** A run of a namespace (NOT_FOUND naming both when there is none). */
  state(namespace: string, id: string): PipelineRunRecord {
    const record = this.deps.store.getRecord<PipelineRunRecord>('pipelines', id);
    if (!record || record.namespace !== namespace) {
      throw new SlipwayError(
        'NOT_FOUND',
        `pipeline '${id}' does not exist in namespace '${namespace}'`,
      );
    }
    return record;
  }

  /**
   * Kills a run: its running tasks are stopped and it ends `killed`. Resolves once that is done.
   * CONFLICT when the run already ended.
   */
  async kill(id: string, by: string | null): Promise<PipelineRunRecord> {
    const record = this.deps.store.getRecord<PipelineRunRecord>('pipelines', id);
    if (!record) throw new SlipwayError('NOT_FOUND', `pipeline '${id}' does not exist`);
    const job = this.deps.store.getJob(id);
    if (!job || !['QUEUED', 'RUNNING'].includes(job.status)) {
      throw new SlipwayError(
        'CONFLICT',
        `pipeline '${id}' is ${record.status}; only a pending or running pipeline can be killed`,
      );
    }
    this.deps.queue.withdraw(id, by);
    await this.deps.settled(id);
    // Withdrawn while queued, it never started: the pool's `ended` hook has settled it already,
    // and this settles it where no pool runs.
    settleEndedPipelineRun(job, { status: 'STOPPED', message: 'withdrawn' }, this.deps);
    return this.deps.store.getRecord<PipelineRunRecord>('pipelines', id) ?? record;
  }

  /** Runs, newest last, of all namespaces or one. */
  list(namespace?: string): PipelineRunRecord[] {
    return this.deps.store
      .listRecords<PipelineRunRecord>('pipelines', namespace)
      .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }
}
