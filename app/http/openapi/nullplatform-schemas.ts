import { z } from 'zod';
import {
  ASSET_TYPES,
  BUILD_STATUSES,
  DEPLOYMENT_STATUSES,
  RELEASE_STATUSES,
} from '../../../core/rollouts/index.js';
import { count, isoTime } from './common-schemas.js';
import { responseBody } from './route-spec.js';

const id = z.number().int().min(1);
const stamps = { created_at: isoTime, updated_at: isoTime };

/** The entities of core/rollouts/model.ts as nullplatform shows them. */
export const application = responseBody(
  'Application',
  z.object({
    id,
    name: z.string(),
    repository_url: z.string().nullable(),
    repository_path: z.string(),
    status: z.literal('active'),
    ...stamps,
  }),
);

export const asset = responseBody(
  'Asset',
  z.object({
    id,
    build_id: id,
    name: z.string(),
    type: z.enum(ASSET_TYPES),
    url: z.string(),
    created_at: isoTime,
  }),
);

export const build = responseBody(
  'Build',
  z.object({
    id,
    application_id: id,
    status: z.enum(BUILD_STATUSES),
    commit: z.object({ id: z.string().nullable(), permalink: z.string().nullable() }),
    branch: z.string().nullable(),
    description: z.string().nullable(),
    assets: z.array(asset),
    ...stamps,
  }),
);

export const release = responseBody(
  'Release',
  z.object({
    id,
    application_id: id,
    build_id: id,
    semver: z.string(),
    status: z.enum(RELEASE_STATUSES),
    ...stamps,
  }),
);

export const scope = responseBody(
  'Scope',
  z.object({
    id,
    application_id: id,
    name: z.string(),
    slug: z.string(),
    namespace: z.string(),
    type: z.literal('kubernetes'),
    status: z.literal('active'),
    asset_name: z.string().nullable(),
    gateway: z.string().nullable(),
    capabilities: z.object({
      port: z.number().int(),
      health_check: z.object({
        path: z.string(),
        period_seconds: count,
        timeout_seconds: count,
        initial_delay_seconds: count,
      }),
      instances: z.number().int(),
      max_startup_seconds: count,
    }),
    active_deployment: id.nullable(),
    address: z.string().nullable(),
    ...stamps,
  }),
);

/** `deploymentJson`: the workload is left out; `messages` only with `include_messages=true`. */
export const deployment = responseBody(
  'Deployment',
  z.object({
    id,
    application_id: id,
    scope_id: id,
    release_id: id,
    asset_name: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    strategy: z.enum(['initial', 'blue_green']),
    strategy_data: z.object({
      switched_traffic: count,
      desired_switched_traffic: count,
      amount_instances_to_wait: count,
      launched_instances: count,
      healthy_instances: count,
    }),
    previous_deployment: id.nullable(),
    messages: z
      .array(z.object({ date: isoTime, level: z.enum(['info', 'error']), message: z.string() }))
      .optional(),
    ...stamps,
  }),
);

const paging = z.object({ total: count, offset: count, limit: z.number().int().min(1) });

/** `{paging, results}` of one entity. */
export const lists = {
  application: responseBody('ApplicationList', z.object({ paging, results: z.array(application) })),
  build: responseBody('BuildList', z.object({ paging, results: z.array(build) })),
  release: responseBody('ReleaseList', z.object({ paging, results: z.array(release) })),
  scope: responseBody('ScopeList', z.object({ paging, results: z.array(scope) })),
  deployment: responseBody('DeploymentList', z.object({ paging, results: z.array(deployment) })),
};
