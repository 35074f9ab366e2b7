/** Configuration files (DESIGN.md section 7.2): `manifest.json` and `pipeline.json`, validated. */
export {
  duplicateKeyProblems,
  formatPath,
  type JsonPath,
  type JsonSource,
  locate,
  parseJsonSource,
} from './json-source.js';
export {
  cronProblem,
  foldToLatin,
  isQuantity,
  kubernetesScheduleProblem,
  labelProblems,
  NAME_PATTERN,
  parseLabels,
  quantityValue,
} from './kubernetes-values.js';
export {
  isServiceName,
  objectName,
  PUBLISHED_KEYS,
  PULL_POLICIES,
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
  splitNamespacetask,
  topologicalOrder,
} from './pipeline.js';
export {
  describeIssue,
  describeValue,
  formatProblem,
  issuesToProblems,
  sortProblems,
} from './problems.js';
