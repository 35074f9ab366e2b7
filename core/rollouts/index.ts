export * from './model.js';
export { type InstanceSource, renderInstance } from './render-instance.js';
export { RolloutRecords } from './rollout-records.js';
export {
  type Paged,
  RolloutService,
  type RolloutServiceDeps,
  rolloutTarget,
} from './rollout-service.js';
export {
  type RolloutParams,
  type RunRolloutDeps,
  runRollout,
  settleEndedRollout,
} from './run-rollout.js';
export * from './schemas.js';
export { type DeploymentPatch, mayMove, planPatch, type RolloutStep } from './transitions.js';
