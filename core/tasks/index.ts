export { LogCopier } from './copy-logs.js';
export {
  type RenderContext,
  renderWorkload,
  specHash,
  stableJson,
  workloadKind,
} from './render-workload.js';
export {
  describeRef,
  describeStatus,
  type WaitHealthyOptions,
  waitUntilHealthy,
} from './wait-healthy.js';
