import { dataTaskError } from './common-schemas.js';
import { dataTaskBodies as bodies, FORM_TYPES } from './datatask-bodies.js';
import { pipelineRun, taskDeployed, taskState } from './datatask-schemas.js';
import { type BodySpec, errorResponses, type RouteSpec } from './route-spec.js';
import { dataTaskListRoutes } from './routes-datatask-lists.js';

/** A DataTask route before it is mounted: `methods` for the seed's GET routes that also take POST. */
export interface DataTaskRoute extends Omit<RouteSpec, 'method' | 'tags'> {
  methods: RouteSpec['method'][];
}

/** The prefix DataTask's clients use from outside the cluster (app/http/server.ts). */
export const DATATASK_PREFIX = '/apps/deploy-api';

const errors = (...statuses: number[]) => errorResponses(dataTaskError, ...statuses);
const form = (schema: BodySpec['schema'], required = false): BodySpec => ({
  schema,
  types: FORM_TYPES,
  required,
});
const deployed = { 202: { description: 'The deploy is queued', schema: taskDeployed } };
const started = { 202: { description: 'The run is queued', schema: pipelineRun } };
const both: RouteSpec['method'][] = ['get', 'post'];

const taskAndPipelineRoutes: DataTaskRoute[] = [
  {
    methods: both,
    path: '/v1/task/deploy/{repository}/{directory}',
    operationId: 'deployTask',
    summary: 'Deploy a task (namespace = repository, name from manifest.json, branch master)',
    access: 'caller',
    responses: { ...deployed, ...errors(400, 401, 404, 409) },
  },
  {
    methods: both,
    path: '/v1/task/deployas/{repository}/{directory}/{name}',
    operationId: 'deployTaskAs',
    summary: 'Deploy a task under a name',
    access: 'caller',
    responses: { ...deployed, ...errors(400, 401, 404, 409) },
  },
  {
    methods: both,
    path: '/v1/task/deployinas/{repository}/{directory}/{namespace}/{name}',
    operationId: 'deployTaskInAs',
    summary: 'Deploy a task under a name in a namespace',
    access: 'caller',
    responses: { ...deployed, ...errors(400, 401, 404, 409) },
  },
  {
    methods: ['post'],
    path: '/v1/task/elaborate/deployinas/{repository}/{directory}/{namespace}/{name}',
    operationId: 'deployTaskInAsElaborate',
    summary: 'Deploy a task under a name in a namespace, with branch and schedule',
    access: 'caller',
    body: form(bodies.branchSchedule),
    responses: { ...deployed, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['post'],
    path: '/v2/task/elaborate/deploy/{repository}/{directory}',
    operationId: 'deployTaskElaborate',
    summary: 'Deploy a task with namespace, name, branch and schedule in the body',
    access: 'caller',
    body: form(bodies.taskDeploy),
    responses: { ...deployed, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['post'],
    path: '/v2/task/deploy/with-configuration',
    operationId: 'deployTaskWithConfiguration',
    summary: "Deploy a manifest.json given in the body, or a pattern's template",
    access: 'caller',
    body: form(bodies.taskWithConfiguration, true),
    responses: { ...deployed, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['get'],
    path: '/v1/task/state/{id}',
    operationId: 'getTaskState',
    summary: 'Where a deployed task stands',
    access: 'public',
    responses: {
      200: { description: 'The state', schema: taskState },
      ...errors(404),
    },
  },
  {
    methods: both,
    path: '/v1/pipeline/runas/{repository}/{directory}/{name}',
    operationId: 'runPipelineAs',
    summary: 'Run a pipeline under a name (namespace = repository, branch master)',
    access: 'caller',
    responses: { ...started, ...errors(400, 401, 404, 409) },
  },
  {
    methods: both,
    path: '/v1/pipeline/runinas/{repository}/{directory}/{namespace}/{name}',
    operationId: 'runPipelineInAs',
    summary: 'Run a pipeline under a name in a namespace',
    access: 'caller',
    responses: { ...started, ...errors(400, 401, 404, 409) },
  },
  {
    methods: ['post'],
    path: '/v1/pipeline/elaborate/runinas/{repository}/{directory}/{namespace}/{name}',
    operationId: 'runPipelineInAsElaborate',
    summary: 'Run a pipeline under a name in a namespace, with branch',
    access: 'caller',
    body: form(bodies.branch),
    responses: { ...started, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['post'],
    path: '/v2/pipeline/elaborate/run/{repository}/{directory}/{name}',
    operationId: 'runPipelineElaborate',
    summary: 'Run a pipeline with namespace and branch in the body',
    access: 'caller',
    body: form(bodies.pipelineRun),
    responses: { ...started, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['post'],
    path: '/v2/pipeline/run/with-configuration',
    operationId: 'runPipelineWithConfiguration',
    summary: 'Run a pipeline.json given in the body',
    access: 'caller',
    body: form(bodies.pipelineWithConfiguration, true),
    responses: { ...started, ...errors(400, 401, 404, 409, 415) },
  },
  {
    methods: ['get'],
    path: '/v1/pipeline/state/{namespace}/{id}',
    operationId: 'getPipelineState',
    summary: 'A pipeline run with the status and times of each task',
    access: 'public',
    responses: { 200: { description: 'The run', schema: pipelineRun }, ...errors(404) },
  },
  {
    methods: both,
    path: '/v1/pipeline/kill/{id}',
    operationId: 'killPipeline',
    summary: 'Kill a pipeline run: its running tasks stop, status killed',
    access: 'caller',
    responses: {
      200: { description: 'The killed run', schema: pipelineRun },
      ...errors(401, 404, 409),
    },
  },
];

/**
 * Every DataTask operation, at the root and under `/apps/deploy-api`: the same sub-app is mounted
 * twice, so each is listed twice (operation ids of the second end in `Prefixed`).
 */
export function dataTaskRoutes(): RouteSpec[] {
  const table = [...taskAndPipelineRoutes, ...dataTaskListRoutes];
  return ['', DATATASK_PREFIX].flatMap((prefix) =>
    table.flatMap(({ methods, ...route }) =>
      methods.map((method) => ({
        ...route,
        method,
        path: `${prefix}${route.path}`,
        operationId: `${route.operationId}${methods.length > 1 ? (method === 'get' ? 'Get' : 'Post') : ''}${prefix ? 'Prefixed' : ''}`,
        tags: [prefix ? `DataTask (${DATATASK_PREFIX})` : 'DataTask'],
      })),
    ),
  );
}
