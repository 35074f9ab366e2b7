import { z } from 'zod';
import { WORKLOAD_KINDS } from '../../../core/runtime/types.js';
import { isoTime } from './common-schemas.js';
import { responseBody } from './route-spec.js';

const kind = z.enum(WORKLOAD_KINDS);
const named = z.object({ id: z.number().int(), name: z.string() });

/** The 202 of every task deploy; `id` is the job id. */
export const taskDeployed = responseBody(
  'TaskDeployed',
  z.object({
    id: z.string(),
    namespace: z.string(),
    name: z.string(),
    kind,
    status: z.literal('pending'),
  }),
);

/** `TaskStateView` of core/tasks. */
export const taskState = responseBody(
  'TaskState',
  z.object({
    id: z.string(),
    namespace: z.string(),
    name: z.string(),
    kind,
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'unknown']),
    startTime: isoTime.optional(),
    completionTime: isoTime.optional(),
    message: z.string().optional(),
    origin: z
      .object({ pattern: named, deployment: named.nullable() })
      .optional()
      .describe('The pattern and deployment definition it was deployed from'),
  }),
);

export const workId = responseBody('WorkId', z.object({ work_id: z.string() }));

export const configurationState = responseBody(
  'ConfigurationLoadingState',
  z.object({
    work_id: z.string(),
    status: z.enum(['pending', 'running', 'done', 'error']),
    configuration: z.unknown().optional().describe('The manifest.json (pipeline.json) when done'),
    error: z.string().optional().describe('Why, when error'),
  }),
);

export const templateList = responseBody(
  'TemplateList',
  z.object({ templates: z.array(z.string()) }),
);

export const template = responseBody(
  'Template',
  z.record(z.string(), z.unknown()).describe('The template file as it is'),
);

/** `pipelineJson` of app/http/datatask.ts. */
export const pipelineRun = responseBody(
  'PipelineRun',
  z.object({
    id: z.string(),
    name: z.string(),
    pipeline: z.string(),
    namespace: z.string(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'killed']),
    created: isoTime,
    startTime: isoTime.optional(),
    endTime: isoTime.optional(),
    tasks: z.array(
      z.object({
        name: z.string(),
        status: z.enum(['pending', 'running', 'succeeded', 'failed', 'killed', 'skipped']),
        dependance: z.array(z.string()),
        startTime: isoTime.optional(),
        endTime: isoTime.optional(),
        message: z.string().optional(),
      }),
    ),
  }),
);

export const namespaceList = responseBody(
  'NamespaceList',
  z.object({ namespaces: z.array(z.string()) }),
);

const workload = z.object({
  name: z.string(),
  namespace: z.string(),
  labels: z.record(z.string(), z.string()),
  created: isoTime,
  schedule: z.string().nullable().optional().describe('cron jobs only'),
  replicas: z.number().int().optional().describe('deployments and services only'),
});

export const taskList = responseBody(
  'TaskList',
  z.object({
    jobs: z.array(workload),
    cronJobs: z.array(workload),
    deployments: z.array(workload),
    services: z.array(workload),
  }),
);

export const podList = responseBody(
  'PodList',
  z.object({
    pods: z.array(
      z.object({
        namespace: z.string(),
        name: z.string(),
        workload: z.object({ kind, namespace: z.string(), name: z.string() }),
        phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']),
        ready: z.boolean(),
        restarts: z.number().int(),
        startTime: isoTime.nullable(),
      }),
    ),
  }),
);

export const pipelineList = responseBody(
  'PipelineList',
  z.object({ pipelines: z.array(pipelineRun) }),
);

export const deleted = responseBody(
  'Deleted',
  z.object({ deleted: z.object({ kind, namespace: z.string(), name: z.string() }) }),
);
