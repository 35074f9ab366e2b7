import { z } from 'zod';
import { NAME_PATTERN } from '../config/index.js';
import {
  ASSET_TYPES,
  BUILD_STATUSES,
  DEPLOYMENT_STATUSES,
  isImageReference,
  isRepositoryPath,
  isSemver,
  RELEASE_STATUSES,
} from './model.js';

/**
 * An id, as a JSON number or as a string of its digits: nullplatform's own examples quote them
 * (`"scope_id": "<scope_id>"`), and a client written from them must work unchanged.
 */
const id = (what: string) => {
  const error = `expected the integer id of ${what}`;
  return z.union(
    [
      z
        .number({ error })
        .int({ error })
        .positive({ error: `expected the id of ${what}` }),
      z
        .string({ error })
        .regex(/^[1-9][0-9]{0,14}$/, { error })
        .transform(Number),
    ],
    { error },
  );
};
const text = (max = 200) =>
  z
    .string({ error: 'expected a string' })
    .trim()
    .min(1, { error: 'expected a non-empty string' })
    .max(max, { error: `expected at most ${max} characters` });
const REPOSITORY_PATH_EXPECTED =
  'expected a relative path inside the repository, such as svc or services/api, without ".." segments';
const IMAGE_EXPECTED =
  'expected a docker image reference, registry/name[:tag][@digest], such as registry.example.com/shop/api:1.2.0';

const seconds = z
  .number({ error: 'expected seconds' })
  .int({ error: 'expected whole seconds' })
  .min(0, { error: 'expected 0 or more' })
  .max(86_400, { error: 'expected at most a day' });

/** `POST /application`. */
export const createApplicationSchema = z.strictObject({
  name: text(),
  repository_url: text(2048).optional(),
  repository_path: z
    .string({ error: 'expected a directory of the repository' })
    .max(1024)
    .refine(isRepositoryPath, { error: REPOSITORY_PATH_EXPECTED })
    .optional(),
});

/** `POST /build`. */
export const createBuildSchema = z.strictObject({
  application_id: id('an application'),
  status: z
    .enum(BUILD_STATUSES, { error: `expected one of ${BUILD_STATUSES.join(', ')}` })
    .optional(),
  commit: z
    .strictObject({
      id: z
        .string({ error: 'expected a commit id' })
        .regex(/^[0-9a-f]{7,40}$/, { error: 'expected a hex commit id' }),
      permalink: z.string().optional(),
    })
    .optional(),
  branch: text().optional(),
  description: z.string({ error: 'expected a string' }).max(2000).optional(),
});

/** `PATCH /build/:id`. */
export const patchBuildSchema = z
  .strictObject({
    status: z
      .enum(BUILD_STATUSES, { error: `expected one of ${BUILD_STATUSES.join(', ')}` })
      .optional(),
    description: z.string({ error: 'expected a string' }).max(2000).optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    error: 'expected "status" or "description": a PATCH with neither changes nothing',
  });

/**
 * `POST /build/:id/asset`: a `docker-image` url is an image reference, a `directory` url a
 * directory of the application's repository. Checked here, at the request, rather than when a
 * deployment of the release fails on it.
 */
export const createAssetSchema = z
  .strictObject({
    name: text(100),
    type: z.enum(ASSET_TYPES, { error: `expected one of ${ASSET_TYPES.join(', ')}` }),
    url: text(2048),
  })
  .superRefine((asset, context) => {
    const fits = asset.type === 'docker-image' ? isImageReference : isRepositoryPath;
    if (fits(asset.url)) return;
    context.addIssue({
      code: 'custom',
      path: ['url'],
      input: asset.url,
      message: asset.type === 'docker-image' ? IMAGE_EXPECTED : REPOSITORY_PATH_EXPECTED,
    });
  });

/** `POST /release`: every field required (seed 003). */
export const createReleaseSchema = z.strictObject({
  status: z.enum(RELEASE_STATUSES, { error: `expected one of ${RELEASE_STATUSES.join(', ')}` }),
  build_id: id('a build'),
  application_id: id('an application'),
  semver: z
    .string({ error: 'expected a semantic version such as 1.2.0' })
    .refine(isSemver, { error: 'expected a semantic version such as 1.2.0 (MAJOR.MINOR.PATCH)' }),
});

const capabilitiesSchema = z.strictObject({
  port: z
    .number({ error: 'expected a port' })
    .int({ error: 'expected a port' })
    .min(1, { error: 'expected a port from 1 to 65535' })
    .max(65_535, { error: 'expected a port from 1 to 65535' })
    .optional(),
  health_check: z
    .strictObject({
      path: z
        .string({ error: 'expected a path' })
        .startsWith('/', { error: 'expected a path starting with "/"' })
        .optional(),
      period_seconds: seconds.optional(),
      timeout_seconds: seconds.optional(),
      initial_delay_seconds: seconds.optional(),
    })
    .optional(),
  instances: z
    .number({ error: 'expected a number of instances' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'expected at least 1' })
    .max(100, { error: 'expected at most 100' })
    .optional(),
  max_startup_seconds: seconds.optional(),
});

/** `POST /scope`. */
export const createScopeSchema = z.strictObject({
  application_id: id('an application'),
  name: text(100),
  namespace: z
    .string({ error: 'expected a Kubernetes namespace' })
    .max(63)
    .regex(NAME_PATTERN, { error: "expected lowercase letters, digits and '-'" })
    .optional(),
  asset_name: text(100).optional(),
  gateway: z
    .string({ error: 'expected a gateway name' })
    .regex(/^([a-z0-9-]+\/)?[a-z0-9-]+$/, { error: 'expected a gateway as name or namespace/name' })
    .optional(),
  capabilities: capabilitiesSchema.optional(),
});

/** `PATCH /scope/:id`: the given fields change (capabilities merge). */
export const patchScopeSchema = createScopeSchema
  .omit({ application_id: true, namespace: true })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, {
    error: 'expected a field to change: a PATCH without one changes nothing',
  });

/** `POST /deployment`. */
export const createDeploymentSchema = z.strictObject({
  scope_id: id('a scope'),
  release_id: id('a release'),
  asset_name: text(100).optional(),
});

/** `PATCH /deployment/:id`. */
export const patchDeploymentSchema = z
  .strictObject({
    status: z
      .enum(DEPLOYMENT_STATUSES, { error: `expected one of ${DEPLOYMENT_STATUSES.join(', ')}` })
      .optional(),
    strategy_data: z
      .strictObject({
        desired_switched_traffic: z
          .number({ error: 'expected a percentage' })
          .int({ error: 'expected a whole percentage' })
          .min(0, { error: 'expected 0 to 100' })
          .max(100, { error: 'expected 0 to 100' })
          .optional(),
      })
      .optional(),
  })
  .refine(
    (patch) =>
      patch.status !== undefined || patch.strategy_data?.desired_switched_traffic !== undefined,
    {
      error:
        'expected "status" or "strategy_data.desired_switched_traffic": a PATCH with neither changes nothing',
    },
  );

export type CreateApplicationInput = z.infer<typeof createApplicationSchema>;
export type CreateBuildInput = z.infer<typeof createBuildSchema>;
export type PatchBuildInput = z.infer<typeof patchBuildSchema>;
export type CreateAssetInput = z.infer<typeof createAssetSchema>;
export type CreateReleaseInput = z.infer<typeof createReleaseSchema>;
export type CreateScopeInput = z.infer<typeof createScopeSchema>;
export type PatchScopeInput = z.infer<typeof patchScopeSchema>;
export type CreateDeploymentInput = z.infer<typeof createDeploymentSchema>;
export type PatchDeploymentInput = z.infer<typeof patchDeploymentSchema>;
