export { ChangeSignal } from './change-signal.js';
export { LogCopier } from './copy-logs.js';
export {
  type DeployTaskDeps,
  deployTask,
  planTaskDeploy,
  type TaskDeployInput,
  type TaskDeployPlan,
  type TaskOrigin,
  type TaskRecord,
  taskTarget,
} from './deploy-task.js';
export { type ConfigLoadParams, loadConfiguration } from './load-configuration.js';
export {
  defaultNamespace,
  type LoadedUnit,
  loadPipelineFromGit,
  loadTaskFromGit,
  type UnitLocation,
} from './load-unit.js';
export {
  type RenderContext,
  renderWorkload,
  specHash,
  workloadKind,
} from './render-workload.js';
export { runtimeMisfit } from './runtime-fit.js';
export {
  type ConfigLoadView,
  TaskService,
  type TaskServiceDeps,
  type TaskStateView,
} from './task-service.js';
export {
  describeOutcome,
  describeRef,
  describeStatus,
  type WaitHealthyOptions,
  waitUntilHealthy,
} from './wait-healthy.js';
export { ownerOf, type WorkloadOwner } from './workload-owner.js';
