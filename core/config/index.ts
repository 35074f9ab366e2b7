export { formatPath, type JsonSource, locate, parseJsonSource } from './json-source.js';
export {
  cronProblem,
  NAME_PATTERN,
  objectName,
  PULL_POLICIES,
  parseLabels,
  parseTaskManifest,
  TASK_MANIFEST_KEYS,
  TASK_TYPES,
  type TaskManifest,
  taskManifestSchema,
} from './manifest.js';
export {
  PIPELINE_KEYS,
  PIPELINE_TASK_KEYS,
  type PipelineConfig,
  type PipelineTaskConfig,
  parsePipelineConfig,
  pipelineSchema,
  topologicalOrder,
} from './pipeline.js';
export { describeIssue, describeValue, formatProblem, issuesToProblems } from './problems.js';
