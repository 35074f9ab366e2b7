import { dataTaskError } from './common-schemas.js';
import { dataTaskBodies as bodies, FORM_TYPES } from './datatask-bodies.js';
import {
  configurationState,
  deleted,
  namespaceList,
  pipelineList,
  podList,
  taskList,
  template,
  templateList,
  workId,
} from './datatask-schemas.js';
import { errorResponses } from './route-spec.js';
import type { DataTaskRoute } from './routes-datatask.js';

const errors = (...statuses: number[]) => errorResponses(dataTaskError, ...statuses);

/** Configuration loading and templates, for tasks and for pipelines. */
const perUnit = (['task', 'pipeline'] as const).flatMap((unit): DataTaskRoute[] => {
  const Unit = unit === 'task' ? 'Task' : 'Pipeline';
  const file = unit === 'task' ? 'manifest.json' : 'pipeline.json';
  return [
    {
      methods: ['post'],
      path: `/v2/${unit}/load/configuration/from-git/{repository}/{directory}`,
      operationId: `load${Unit}Configuration`,
      summary: `Load a ${file} from git; poll the work id`,
      access: 'optional',
      body: { schema: bodies.branch, types: FORM_TYPES, required: false },
      responses: {
        202: { description: 'The loading is queued', schema: workId },
        ...errors(400, 401, 415),
      },
    },
    {
      methods: ['get'],
      path: `/v2/${unit}/get/configuration-loading-state/{work_id}`,
      operationId: `get${Unit}ConfigurationLoadingState`,
      summary: `Where a ${file} load stands`,
      access: 'public',
      responses: {
        200: { description: 'The state', schema: configurationState },
        ...errors(404),
      },
    },
    {
      methods: ['post'],
      path: `/v2/${unit}/get/template`,
      operationId: `get${Unit}Template`,
      summary: `A ${unit} template file of SLIPWAY_TEMPLATES_DIR`,
      access: 'public',
      body: { schema: bodies.template, types: FORM_TYPES, required: true },
      responses: { 200: { description: 'The file', schema: template }, ...errors(400, 404, 415) },
    },
    {
      methods: ['get'],
      path: `/v2/${unit}/list/templates`,
      operationId: `list${Unit}Templates`,
      summary: `The file names of the ${unit} templates`,
      access: 'public',
      responses: { 200: { description: 'The file names', schema: templateList } },
    },
  ];
});

/** Lists, read from the runtime, of every namespace or one. */
const lists: DataTaskRoute[] = [
  {
    methods: ['get'],
    path: '/v1/list/namespaces',
    operationId: 'listNamespaces',
    summary: 'Namespaces Slipway created',
    access: 'public',
    responses: { 200: { description: 'The namespaces', schema: namespaceList } },
  },
  ...(
    [
      ['tasks', 'Tasks', 'Jobs, cron jobs, deployments and services', taskList],
      ['pods', 'Pods', 'Pods (processes on the local runtime)', podList],
      ['pipelines', 'Pipelines', 'Pipeline runs', pipelineList],
    ] as const
  ).flatMap(([segment, Name, what, schema]): DataTaskRoute[] => [
    {
      methods: ['get'],
      path: `/v1/list/${segment}`,
      operationId: `list${Name}`,
      summary: `${what} of every namespace`,
      access: 'public',
      responses: { 200: { description: `The ${segment}`, schema } },
    },
    {
      methods: ['get'],
      path: `/v1/list/${segment}/{namespace}`,
      operationId: `list${Name}InNamespace`,
      summary: `${what} of one namespace`,
      access: 'public',
      responses: { 200: { description: `The ${segment}`, schema } },
    },
  ]),
];

/** Deletes of a task of each kind. */
const deletes = (['job', 'cronjob', 'deployment', 'service'] as const).map(
  (kind): DataTaskRoute => ({
    methods: ['get', 'post'],
    path: `/v1/delete/${kind}/{namespace}/{name}`,
    operationId: `delete${kind[0]?.toUpperCase()}${kind.slice(1)}`,
    summary: `Delete a ${kind} in a namespace (and its record)`,
    description:
      "Only a task deployed over the DataTask API, or a pipeline's step: a workspace's or a nullplatform deployment's workload is a 409 naming its owner.",
    access: 'caller',
    responses: {
      200: { description: 'What was deleted', schema: deleted },
      ...errors(401, 404, 409),
    },
  }),
);

export const dataTaskListRoutes: DataTaskRoute[] = [...perUnit, ...lists, ...deletes];
