import { SlipwayError } from '../errors.js';
import { LABELS, MANAGED_BY_VALUE, type Runtime, type WorkloadInfo } from '../runtime/types.js';
import type { Store } from '../store/types.js';
import { describeRef } from '../tasks/wait-healthy.js';
import { ownerOf } from '../tasks/workload-owner.js';
import type { PipelinePlan } from './plan-pipeline.js';

/**
 * Refuses, before a run applies anything, a pipeline run whose steps would replace workloads
 * something else deployed in the namespace (README, "How a deploy works"): a workspace, a task
 * deployed over the DataTask API, another pipeline's run, a nullplatform release. A step runs as
 * `<run name>-<task name>`; applying it would delete the other owner's workload (the local
 * runtime keys workloads by name whatever their kind) and put the step's Job in its place. Only
 * workloads of earlier runs of the same pipeline (same run name in the namespace) are replaced,
 * and those of a workspace since deleted (left over). Throws CONFLICT naming each workload and its
 * owner; otherwise answers the workloads of earlier runs of this pipeline that steps' names hold.
 *
 * @example
 * const earlier = await refuseStepTakeover({ runtime, store }, plan); // before any step applies
 */
export async function refuseStepTakeover(
  deps: { runtime: Runtime; store: Store },
  plan: PipelinePlan,
): Promise<WorkloadInfo[]> {
  const present = await deps.runtime.list({
    namespace: plan.namespace,
    labels: { [LABELS.managedBy]: MANAGED_BY_VALUE },
  });
  const problems: string[] = [];
  const earlier: WorkloadInfo[] = [];
  for (const task of plan.tasks) {
    for (const info of present.filter((p) => p.name === task.workload)) {
      const owner = ownerOf(deps.store, info);
      if (owner?.kind === 'pipeline' && owner.name === plan.name) earlier.push(info);
      else if (owner) problems.push(`${describeRef(info)} of ${owner.text} (step "${task.name}")`);
    }
  }
  if (problems.length === 0) return earlier;
  throw new SlipwayError(
    'CONFLICT',
    `namespace ${plan.namespace} already has ${problems.join(', ')}; running pipeline '${plan.pipeline}' as '${plan.name}' would take ${problems.length === 1 ? 'it' : 'them'} over, so nothing was applied: run it under another name, or in another namespace`,
    { details: { namespace: plan.namespace, pipeline: plan.name, held: problems } },
  );
}
