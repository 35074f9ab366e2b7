export {
  type DagCallbacks,
  type DagTask,
  executeDag,
  type PipelineStatus,
  type PipelineTaskStatus,
  type TaskState,
} from './execute-dag.js';
export { PipelineService, type PipelineServiceDeps } from './pipeline-service.js';
export {
  type PipelinePlan,
  type PipelineRunInput,
  type PlannedPipelineTask,
  planPipelineRun,
} from './plan-pipeline.js';
export {
  type PipelineRunRecord,
  pendingRun,
  type RunPipelineDeps,
  runPipeline,
  settleEndedPipelineRun,
} from './run-pipeline.js';
