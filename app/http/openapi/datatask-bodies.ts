import { z } from 'zod';
import { fields } from '../datatask-fields.js';
import { requestBody } from './route-spec.js';

/**
 * The DataTask bodies: each is the `z.strictObject` that `readBody` builds inline in
 * app/http/datatask.ts, made of the same `fields` schemas (the handlers build their shapes in
 * place, so these mirror them rather than being the very objects).
 */
export const dataTaskBodies = {
  branch: requestBody('BranchBody', z.strictObject({ branch: fields.branch })),
  branchSchedule: requestBody(
    'BranchScheduleBody',
    z.strictObject({ branch: fields.branch, schedule: fields.schedule }),
  ),
  taskDeploy: requestBody(
    'TaskDeployBody',
    z.strictObject({
      namespace: fields.namespace,
      name: fields.name,
      branch: fields.branch,
      schedule: fields.schedule,
    }),
    'namespace defaults to the repository name, name to the manifest name, branch to master',
  ),
  taskWithConfiguration: requestBody(
    'TaskWithConfigurationBody',
    z.strictObject({
      namespace: fields.namespace,
      configuration: fields.configuration,
      template_path: fields.templatePath.optional(),
      deployment: fields.repository,
      repository: fields.repository,
      directory: fields.directory,
      branch: fields.branch,
      name: fields.name,
    }),
    'Either `configuration` (a manifest.json) and `namespace`, or `template_path` of a pattern and its KUBERNETES `deployment` (name or id), which gives the namespace.',
  ),
  template: requestBody('TemplatePathBody', z.strictObject({ template_path: fields.templatePath })),
  pipelineRun: requestBody(
    'PipelineRunBody',
    z.strictObject({ namespace: fields.namespace, branch: fields.branch }),
  ),
  pipelineWithConfiguration: requestBody(
    'PipelineWithConfigurationBody',
    z.strictObject({
      namespace: fields.namespace,
      configuration: fields.configuration,
      name: fields.name,
      branch: fields.branch,
    }),
    '`configuration` (a pipeline.json) and `namespace` are required.',
  ),
};

/** What DataTask reads a body as (`readFields`). */
export const FORM_TYPES = [
  'application/json',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
];
