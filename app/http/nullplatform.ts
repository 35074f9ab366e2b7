import { type Context, Hono } from 'hono';
import type { Engine } from '../../core/engine.js';
import { SlipwayError } from '../../core/errors.js';
import {
  createApplicationSchema,
  createAssetSchema,
  createBuildSchema,
  createDeploymentSchema,
  createReleaseSchema,
  createScopeSchema,
  type Deployment,
  patchBuildSchema,
  patchDeploymentSchema,
  patchScopeSchema,
} from '../../core/rollouts/index.js';
import type { Logger } from '../../core/types.js';
import { type AuthVariables, requireIdentity } from './auth.js';
import { toHttpFailure } from './errors.js';
import { wholeNumber } from './paging.js';
import { parseWith, readJson } from './validate.js';

type Ctx = Context<{ Variables: AuthVariables }>;

const DEFAULT_LIMIT = 30;
const MAX_LIMIT = 200;

/**
 * The nullplatform surface (seed 003, DESIGN.md 7.4): applications, builds and their assets,
 * releases, scopes and deployments. Lists are `{paging: {total, offset, limit}, results}`, errors
 * `{message}`. A deployment is carried out by rollout jobs; PATCH answers 204 and the change
 * follows asynchronously.
 */
export function createNullplatformApp({ engine, logger }: { engine: Engine; logger: Logger }) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const rollouts = engine.rollouts;
  app.onError((error, c) => {
    const failure = toHttpFailure(error, logger, c);
    return c.json(
      {
        message: failure.message,
        ...(failure.problems.length > 0 ? { problems: failure.problems } : {}),
      },
      failure.status,
    );
  });
  // Mounted at the root beside the other surfaces: guard only this surface's paths.
  for (const resource of ['application', 'build', 'release', 'scope', 'deployment']) {
    app.use(`/${resource}`, authenticated);
    app.use(`/${resource}/*`, authenticated);
  }

  const list = (c: Ctx, kind: Parameters<typeof rollouts.list>[0], filters: string[]) => {
    const offset = wholeNumber(c.req.query('offset'), 'offset', 0, 1_000_000, 0);
    const limit = wholeNumber(c.req.query('limit'), 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
    const filter: Record<string, string | number | undefined> = {};
    for (const name of filters) {
      const value = c.req.query(name);
      if (value === undefined) continue;
      filter[name] = name.endsWith('_id') ? idOf(value, name) : value;
    }
    const page = rollouts.list(kind, filter, { offset, limit });
    const results =
      kind === 'deployment'
        ? (page.results as Deployment[]).map((d) => deploymentJson(d, false))
        : page.results;
    return c.json({ paging: { total: page.total, offset, limit }, results });
  };

  app.post('/application', async (c) =>
    c.json(
      rollouts.createApplication(
        parseWith(createApplicationSchema, await readJson(c), 'request body'),
      ),
      201,
    ),
  );
  app.get('/application', (c) => list(c, 'application', ['name', 'status']));
  app.get('/application/:id', (c) =>
    c.json(rollouts.records.application(idOf(c.req.param('id'), 'id'))),
  );

  app.post('/build', async (c) =>
    c.json(
      rollouts.createBuild(parseWith(createBuildSchema, await readJson(c), 'request body')),
      201,
    ),
  );
  /** Builds; `application_id`, `status` and `branch` filter. */
  app.get('/build', (c) => list(c, 'build', ['application_id', 'status', 'branch']));
  app.get('/build/:id', (c) => c.json(rollouts.records.build(idOf(c.req.param('id'), 'id'))));
  app.patch('/build/:id', async (c) =>
    c.json(
      rollouts.patchBuild(
        idOf(c.req.param('id'), 'id'),
        parseWith(patchBuildSchema, await readJson(c), 'request body'),
      ),
    ),
  );
  /** Adds an asset (`docker-image` URL, or a `directory` of the application's repository). */
  app.post('/build/:id/asset', async (c) =>
    c.json(
      rollouts.addAsset(
        idOf(c.req.param('id'), 'id'),
        parseWith(createAssetSchema, await readJson(c), 'request body'),
      ),
      201,
    ),
  );

  /** A release: `status`, `build_id`, `application_id` and `semver`, all required. */
  app.post('/release', async (c) =>
    c.json(
      rollouts.createRelease(parseWith(createReleaseSchema, await readJson(c), 'request body')),
      201,
    ),
  );
  app.get('/release', (c) =>
    list(c, 'release', ['application_id', 'build_id', 'status', 'semver']),
  );
  app.get('/release/:id', (c) => c.json(rollouts.records.release(idOf(c.req.param('id'), 'id'))));

  app.post('/scope', async (c) =>
    c.json(
      rollouts.createScope(parseWith(createScopeSchema, await readJson(c), 'request body')),
      201,
    ),
  );
  app.get('/scope', (c) => list(c, 'scope', ['application_id', 'name']));
  app.get('/scope/:id', (c) => c.json(rollouts.records.scope(idOf(c.req.param('id'), 'id'))));
  app.patch('/scope/:id', async (c) =>
    c.json(
      rollouts.patchScope(
        idOf(c.req.param('id'), 'id'),
        parseWith(patchScopeSchema, await readJson(c), 'request body'),
      ),
    ),
  );

  /** Deploy a release on a scope: `initial`, or `blue_green` beside the active deployment. */
  app.post('/deployment', async (c) => {
    const identity = await requireIdentity(c);
    const deployment = rollouts.createDeployment(
      parseWith(createDeploymentSchema, await readJson(c), 'request body'),
      identity.subject,
    );
    return c.json(deploymentJson(deployment, false), 201);
  });
  /** Deployments; `scope_id`, `application_id`, `release_id` and `status` filter. */
  app.get('/deployment', (c) =>
    list(c, 'deployment', ['scope_id', 'application_id', 'release_id', 'status']),
  );
  /** A deployment; its step-by-step messages with `include_messages=true`. */
  app.get('/deployment/:id', (c) => {
    const include = c.req.query('include_messages');
    if (include !== undefined && include !== 'true' && include !== 'false') {
      throw new SlipwayError(
        'BAD_REQUEST',
        `query "include_messages" is "${include}"; expected true or false`,
      );
    }
    return c.json(
      deploymentJson(
        rollouts.records.deployment(idOf(c.req.param('id'), 'id')),
        include === 'true',
      ),
    );
  });
  /** `{strategy_data: {desired_switched_traffic}}`, `{status: "finalizing"}` or `{status: "cancelling"}`: 204. */
  app.patch('/deployment/:id', async (c) => {
    const identity = await requireIdentity(c);
    const id = idOf(c.req.param('id'), 'id');
    rollouts.records.deployment(id);
    await rollouts.patchDeployment(
      id,
      parseWith(patchDeploymentSchema, await readJson(c), 'request body'),
      identity.subject,
    );
    return c.body(null, 204);
  });

  return app;
}

async function authenticated(c: Ctx, next: () => Promise<void>): Promise<void> {
  await requireIdentity(c);
  await next();
}

function idOf(value: string, name: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) === 0) {
    throw new SlipwayError('BAD_REQUEST', `"${name}" is "${value}"; expected an integer id`);
  }
  return Number(value);
}

/** A deployment as nullplatform shows it (its workload is Slipway's business). */
function deploymentJson(deployment: Deployment, withMessages: boolean) {
  const { workload: _workload, messages, ...rest } = deployment;
  return withMessages ? { ...rest, messages } : rest;
}
