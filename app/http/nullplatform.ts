import { type Context, Hono } from 'hono';
import type { Engine } from '../../core/engine.js';
import { SlipwayError } from '../../core/errors.js';
import {
  APPLICATION_STATUSES,
  type Application,
  BUILD_STATUSES,
  createApplicationSchema,
  createAssetSchema,
  createBuildSchema,
  createDeploymentSchema,
  createReleaseSchema,
  createScopeSchema,
  DEPLOYMENT_STATUSES,
  type Deployment,
  isSemver,
  patchBuildSchema,
  patchDeploymentSchema,
  patchScopeSchema,
  RELEASE_STATUSES,
} from '../../core/rollouts/index.js';
import { redact } from '../../core/source/index.js';
import type { Logger } from '../../core/types.js';
import { type AuthVariables, type Identity, requireIdentity } from './auth.js';
import { toHttpFailure } from './errors.js';
import { wholeNumber } from './paging.js';
import { parseWith, readJson, refuseUnknownQuery } from './validate.js';

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
    // No POST or PATCH of this surface reads its query: a parameter there is a mistake.
    for (const path of [`/${resource}`, `/${resource}/*`]) {
      app.use(path, async (c, next) => {
        if (c.req.method === 'POST' || c.req.method === 'PATCH') refuseUnknownQuery(c);
        await next();
      });
    }
  }

  const list = async (c: Ctx, kind: Parameters<typeof rollouts.list>[0], filters: Filters) => {
    const offset = wholeNumber(c.req.query('offset'), 'offset', 0, 1_000_000, 0);
    const limit = wholeNumber(c.req.query('limit'), 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
    const filter: Record<string, string | number | undefined> = {};
    for (const [name, parse] of Object.entries(filters)) {
      const value = c.req.query(name);
      if (value !== undefined) filter[name] = parse(value, `query "${name}"`);
    }
    const page = rollouts.list(kind, filter, { offset, limit });
    const viewer = await requireIdentity(c);
    const results =
      kind === 'deployment'
        ? (page.results as Deployment[]).map((d) => deploymentJson(d, false))
        : kind === 'application'
          ? (page.results as Application[]).map((a) => applicationJson(a, viewer))
          : page.results;
    return c.json({ paging: { total: page.total, offset, limit }, results });
  };

  app.post('/application', async (c) =>
    c.json(
      applicationJson(
        rollouts.createApplication(
          parseWith(createApplicationSchema, await readJson(c), 'request body'),
        ),
        await requireIdentity(c),
      ),
      201,
    ),
  );
  app.get('/application', (c) =>
    list(c, 'application', { name: anyText, status: oneOf(APPLICATION_STATUSES) }),
  );
  app.get('/application/:id', async (c) =>
    c.json(applicationJson(rollouts.records.application(idParam(c)), await requireIdentity(c))),
  );

  app.post('/build', async (c) =>
    c.json(
      rollouts.createBuild(parseWith(createBuildSchema, await readJson(c), 'request body')),
      201,
    ),
  );
  /** Builds; `application_id`, `status` and `branch` filter. */
  app.get('/build', (c) =>
    list(c, 'build', {
      application_id: idOf,
      status: oneOf(BUILD_STATUSES),
      branch: anyText,
    }),
  );
  app.get('/build/:id', (c) => c.json(rollouts.records.build(idParam(c))));
  app.patch('/build/:id', async (c) =>
    c.json(
      rollouts.patchBuild(
        idParam(c),
        parseWith(patchBuildSchema, await readJson(c), 'request body'),
      ),
    ),
  );
  /** Adds an asset (`docker-image` URL, or a `directory` of the application's repository). */
  app.post('/build/:id/asset', async (c) =>
    c.json(
      rollouts.addAsset(
        idParam(c),
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
    list(c, 'release', {
      application_id: idOf,
      build_id: idOf,
      status: oneOf(RELEASE_STATUSES),
      semver,
    }),
  );
  app.get('/release/:id', (c) => c.json(rollouts.records.release(idParam(c))));

  app.post('/scope', async (c) =>
    c.json(
      rollouts.createScope(parseWith(createScopeSchema, await readJson(c), 'request body')),
      201,
    ),
  );
  app.get('/scope', (c) => list(c, 'scope', { application_id: idOf, name: anyText }));
  app.get('/scope/:id', (c) => c.json(rollouts.records.scope(idParam(c))));
  app.patch('/scope/:id', async (c) =>
    c.json(
      rollouts.patchScope(
        idParam(c),
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
    list(c, 'deployment', {
      scope_id: idOf,
      application_id: idOf,
      release_id: idOf,
      status: oneOf(DEPLOYMENT_STATUSES),
    }),
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
    return c.json(deploymentJson(rollouts.records.deployment(idParam(c)), include === 'true'));
  });
  /** `{strategy_data: {desired_switched_traffic}}`, `{status: "finalizing"}` or `{status: "cancelling"}`: 204. */
  app.patch('/deployment/:id', async (c) => {
    const identity = await requireIdentity(c);
    const id = idParam(c);
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

/**
 * An application; the credentials in its `repository_url` (`https://user:token@host/...`) only
 * for the admin, as `***` for everyone else: an application has no owner to show them to.
 */
function applicationJson(application: Application, viewer: Identity): Application {
  const url = application.repository_url;
  return url === null || viewer.admin
    ? application
    : { ...application, repository_url: redact(url) };
}

async function authenticated(c: Ctx, next: () => Promise<void>): Promise<void> {
  // OPTIONS tells only which methods a path takes, as on the other surfaces.
  if (c.req.method !== 'OPTIONS') await requireIdentity(c);
  await next();
}

/**
 * A list's filters: each query parameter's parser, which answers the value to match or throws a
 * 400 naming the value and what is expected. A value no record can hold is a mistake in the
 * request, not an empty page.
 */
type Filters = Record<string, (value: string, label: string) => string | number>;

/** The route's `:id`. */
function idParam(c: Ctx): number {
  return idOf(c.req.param('id') ?? '', '"id"');
}

/** A positive integer id (ids start at 1), from a path or a query parameter. */
function idOf(value: string, label: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) === 0) {
    throw new SlipwayError('BAD_REQUEST', `${label} is "${value}"; expected a positive integer id`);
  }
  return Number(value);
}

/** One of a vocabulary, exactly as stored (lower case, DESIGN.md section 3). */
function oneOf(allowed: readonly string[]) {
  return (value: string, label: string): string => {
    if (!allowed.includes(value)) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `${label} is "${value}"; expected one of ${allowed.join(', ')}`,
      );
    }
    return value;
  };
}

function semver(value: string, label: string): string {
  if (!isSemver(value)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `${label} is "${value}"; expected a semantic version such as 1.2.0 (MAJOR.MINOR.PATCH)`,
    );
  }
  return value;
}

/** Free text (a name, a branch): any value may match. */
function anyText(value: string): string {
  return value;
}

/** A deployment as nullplatform shows it (its workload is Slipway's business). */
function deploymentJson(deployment: Deployment, withMessages: boolean) {
  const { workload: _workload, messages, ...rest } = deployment;
  return withMessages ? { ...rest, messages } : rest;
}
