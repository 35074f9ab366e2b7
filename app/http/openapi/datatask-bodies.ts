import { bodies } from '../datatask-fields.js';
import { requestBody } from './route-spec.js';

/** The DataTask bodies: the very schemas the handlers validate with (`bodies`). */
export const dataTaskBodies = {
  branch: requestBody('BranchBody', bodies.branch),
  branchSchedule: requestBody('BranchScheduleBody', bodies.branchSchedule),
  taskDeploy: requestBody(
    'TaskDeployBody',
    bodies.taskDeploy,
    'namespace defaults to the repository name, name to the manifest name, branch to master',
  ),
  taskWithConfiguration: requestBody(
    'TaskWithConfigurationBody',
    bodies.taskWithConfiguration,
    'Either `configuration` (a manifest.json) and `namespace`, or `template_path` of a pattern and its KUBERNETES `deployment` (name or id), which gives the namespace.',
  ),
  template: requestBody('TemplatePathBody', bodies.template),
  pipelineRun: requestBody('PipelineRunBody', bodies.pipelineRun),
  pipelineWithConfiguration: requestBody(
    'PipelineWithConfigurationBody',
    bodies.pipelineWithConfiguration,
    '`configuration` (a pipeline.json) and `namespace` are required.',
  ),
};

/** What DataTask reads a body as (`readFields`). */
export const FORM_TYPES = [
  'application/json',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];
