import { type Context, Hono } from 'hono';
import { SlipwayError } from '../../core/errors.js';
import type { DefinitionView, PatternCatalog, PatternView } from '../../core/patterns/index.js';
import { redact } from '../../core/source/index.js';
import type { Logger } from '../../core/types.js';
import { type AuthVariables, requireIdentity } from './auth.js';
import { toHttpFailure } from './errors.js';

/** Feathers' error names and classes, which MetaKraftwerk clients read (seed 002). */
const FEATHERS: Record<number, [string, string]> = {
  400: ['BadRequest', 'bad-request'],
  401: ['NotAuthenticated', 'not-authenticated'],
  403: ['Forbidden', 'forbidden'],
  404: ['NotFound', 'not-found'],
  405: ['MethodNotAllowed', 'method-not-allowed'],
  409: ['Conflict', 'conflict'],
  // Feathers has no class of its own for 413; named as its classes are.
  413: ['PayloadTooLarge', 'payload-too-large'],
  501: ['NotImplemented', 'not-implemented'],
};

/**
 * `{name, message, code, className, data?}`, the error body of the MetaKraftwerk surface
 * (`data` is where a Feathers error carries more).
 */
export function feathersError(
  c: Context,
  code: number,
  message: string,
  data?: Record<string, unknown>,
): Response {
  const [name, className] = FEATHERS[code] ?? ['GeneralError', 'general-error'];
  return c.json({ name, message, code, className, ...(data ? { data } : {}) }, code as 400);
}

/**
 * The MetaKraftwerk surface (seed 002, DESIGN.md 7.3): patterns and their deployment definitions,
 * read-only, from the pattern files. Bearer auth; writes answer 501.
 */
export function createMetaKraftwerkApp({
  catalog,
  logger,
}: {
  catalog: PatternCatalog;
  logger: Logger;
}) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.onError((error, c) => {
    const failure = toHttpFailure(error, logger, c);
    // The seed's exact message for any missing or bad credential; why, in `data.reason`.
    if (failure.status === 401) {
      return feathersError(c, 401, 'Not authenticated', { reason: failure.message });
    }
    return feathersError(c, failure.status, failure.message);
  });
  app.use(async (c, next) => {
    // OPTIONS tells only which methods a path takes, as on the other surfaces.
    if (c.req.method !== 'OPTIONS') await requireIdentity(c);
    await next();
  });

  /** Patterns, optionally the one named `name`; an invalid file shows as `valid: false` with its problems. */
  app.get('/patterns', async (c) => {
    const name = c.req.query('name');
    const patterns = name === undefined ? await catalog.patterns() : [await catalog.byName(name)];
    return c.json(patterns.map(patternJson));
  });
  app.get('/patterns/:id', async (c) =>
    c.json(patternJson(await catalog.byId(integerParam(c.req.param('id'), 'id')))),
  );

  /** Deployment definitions; `pattern`, `pattern_id` and `name` filter and combine. */
  app.get('/deployments', async (c) => {
    const pattern = c.req.query('pattern');
    const patternId = c.req.query('pattern_id');
    const name = c.req.query('name');
    const definitions = await catalog.deployments({
      ...(pattern !== undefined ? { pattern } : {}),
      ...(patternId !== undefined ? { patternId: integerParam(patternId, 'pattern_id') } : {}),
      ...(name !== undefined ? { name } : {}),
    });
    return c.json(
      definitions.map((d) => ({ id: d.id, pattern_id: d.pattern_id, name: d.name, type: d.type })),
    );
  });
  app.get('/deployments/:id', async (c) => {
    const identity = await requireIdentity(c);
    const definition = definitionJson(
      await catalog.deployment(integerParam(c.req.param('id'), 'id')),
    );
    // A definition may name a repository or a hook with its credentials: the admin wrote the
    // pattern files and sees them whole; every other caller sees them masked.
    return c.json(identity.admin ? definition : masked(definition));
  });

  // Read-only (seed 002): every write answers 501.
  for (const path of ['/deployments', '/deployments/:id', '/patterns', '/patterns/:id']) {
    app.on(['POST', 'PUT', 'PATCH', 'DELETE'], path, (c) =>
      feathersError(c, 501, 'Not implemented'),
    );
  }
  app.notFound((c) => feathersError(c, 404, `Page not found: ${c.req.method} ${c.req.path}`));
  return app;
}

function integerParam(value: string, name: string): number {
  if (!/^\d{1,15}$/.test(value)) {
    throw new SlipwayError('BAD_REQUEST', `"${name}" is "${value}"; expected an integer id`);
  }
  return Number(value);
}

function patternJson(pattern: PatternView) {
  return {
    id: pattern.id,
    name: pattern.name,
    file: pattern.file,
    kind: pattern.kind,
    valid: pattern.valid,
    ...(pattern.valid ? { template: pattern.template } : { problems: pattern.problems }),
    deployments: pattern.deployments.map((d) => ({ id: d.id, name: d.name, type: d.type })),
  };
}

function definitionJson(definition: DefinitionView) {
  const { name: _name, type: _type, ...target } = definition.definition;
  return {
    id: definition.id,
    pattern_id: definition.pattern_id,
    pattern: definition.pattern,
    name: definition.name,
    type: definition.type,
    ...target,
  };
}

/** Every string in `value` with the credentials of its URLs masked (`redact`). */
function masked<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(masked) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, masked(child)]),
    ) as T;
  }
  return value;
}
