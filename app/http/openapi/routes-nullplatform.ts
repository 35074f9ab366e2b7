import {
  createApplicationSchema,
  createAssetSchema,
  createBuildSchema,
  createDeploymentSchema,
  createReleaseSchema,
  createScopeSchema,
  patchBuildSchema,
  patchDeploymentSchema,
  patchScopeSchema,
} from '../../../core/rollouts/index.js';
import { nullplatformError } from './common-schemas.js';
import {
  application,
  asset,
  build,
  deployment,
  lists,
  release,
  scope,
} from './nullplatform-schemas.js';
import {
  errorResponses,
  integerId,
  type ParamSpec,
  query,
  type RouteSpec,
  requestBody,
} from './route-spec.js';

const tags = ['nullplatform'];
const errors = (...statuses: number[]) => errorResponses(nullplatformError, ...statuses);
const idParam = integerId('id', 'The id');

requestBody('CreateApplication', createApplicationSchema);
requestBody('CreateBuild', createBuildSchema);
requestBody('PatchBuild', patchBuildSchema);
requestBody('CreateAsset', createAssetSchema);
requestBody('CreateRelease', createReleaseSchema, 'Every field is required (seed 003).');
requestBody('CreateScope', createScopeSchema);
requestBody('PatchScope', patchScopeSchema, 'The fields given change; capabilities merge.');
requestBody('CreateDeployment', createDeploymentSchema);
requestBody(
  'PatchDeployment',
  patchDeploymentSchema,
  '`{strategy_data: {desired_switched_traffic}}`, `{status: "finalizing"}` or `{status: "cancelling"}`.',
);

type Resource = keyof typeof lists;
const entity = { application, build, release, scope, deployment };

/** The list of one resource: `offset`, `limit` and the filters it reads. */
function listRoute(resource: Resource, filters: string[]): RouteSpec {
  const params: ParamSpec[] = [
    query('offset', 'Results to skip', { type: 'integer', minimum: 0, default: 0 }),
    query('limit', 'Results to return', { type: 'integer', minimum: 1, maximum: 200, default: 30 }),
    ...filters.map((name) =>
      query(name, `Only those with this ${name}`, {
        type: name.endsWith('_id') ? 'integer' : 'string',
      }),
    ),
  ];
  return {
    method: 'get',
    path: `/${resource}`,
    operationId: `list${title(resource)}s`,
    summary: `List ${resource}s`,
    tags,
    access: 'caller',
    params,
    responses: { 200: { description: 'A page', schema: lists[resource] }, ...errors(400, 401) },
  };
}

function create(resource: Resource, body: RouteSpec['body'], summary: string): RouteSpec {
  return {
    method: 'post',
    path: `/${resource}`,
    operationId: `create${title(resource)}`,
    summary,
    tags,
    access: 'caller',
    ...(body ? { body } : {}),
    responses: {
      201: { description: `The ${resource}`, schema: entity[resource] },
      ...errors(400, 401, 404, 409, 415),
    },
  };
}

function read(resource: Resource, params: ParamSpec[] = []): RouteSpec {
  return {
    method: 'get',
    path: `/${resource}/{id}`,
    operationId: `get${title(resource)}`,
    summary: `Get a ${resource}`,
    tags,
    access: 'caller',
    params: [idParam, ...params],
    responses: {
      200: { description: `The ${resource}`, schema: entity[resource] },
      ...errors(400, 401, 404),
    },
  };
}

function patch(resource: Resource, body: RouteSpec['body']): RouteSpec {
  return {
    method: 'patch',
    path: `/${resource}/{id}`,
    operationId: `patch${title(resource)}`,
    summary: `Change a ${resource}`,
    tags,
    access: 'caller',
    params: [idParam],
    ...(body ? { body } : {}),
    responses: {
      200: { description: `The changed ${resource}`, schema: entity[resource] },
      ...errors(400, 401, 404, 409, 415),
    },
  };
}

function title(resource: string): string {
  return `${resource[0]?.toUpperCase()}${resource.slice(1)}`;
}

/** The nullplatform surface (seed 003, DESIGN.md 7.4): applications to deployments. */
export function nullplatformRoutes(): RouteSpec[] {
  return [
    create('application', { schema: createApplicationSchema }, 'Create an application'),
    listRoute('application', ['name', 'status']),
    read('application'),
    create('build', { schema: createBuildSchema }, 'Create a build'),
    listRoute('build', ['application_id', 'status', 'branch']),
    read('build'),
    patch('build', { schema: patchBuildSchema }),
    {
      method: 'post',
      path: '/build/{id}/asset',
      operationId: 'createAsset',
      summary: 'Add an asset: a docker-image URL or a directory of the repository',
      tags,
      access: 'caller',
      params: [idParam],
      body: { schema: createAssetSchema },
      responses: {
        201: { description: 'The asset', schema: asset },
        ...errors(400, 401, 404, 409, 415),
      },
    },
    create('release', { schema: createReleaseSchema }, 'Create a release of a build'),
    listRoute('release', ['application_id', 'build_id', 'status', 'semver']),
    read('release'),
    create('scope', { schema: createScopeSchema }, 'Create a scope (an environment)'),
    listRoute('scope', ['application_id', 'name']),
    read('scope'),
    patch('scope', { schema: patchScopeSchema }),
    create(
      'deployment',
      { schema: createDeploymentSchema },
      'Deploy a release on a scope: initial, or blue_green beside the active deployment',
    ),
    listRoute('deployment', ['scope_id', 'application_id', 'release_id', 'status']),
    read('deployment', [
      query('include_messages', 'true: with its step-by-step messages', { type: 'boolean' }),
    ]),
    {
      ...patch('deployment', { schema: patchDeploymentSchema }),
      summary: 'Switch traffic, finalize or cancel a deployment (applied asynchronously)',
      responses: {
        204: { description: 'Accepted; the change follows asynchronously' },
        ...errors(400, 401, 404, 409, 415),
      },
    },
  ];
}
