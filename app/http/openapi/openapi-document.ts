import packageJson from '../../../package.json' with { type: 'json' };
import { componentsOf } from './json-schema.js';
import {
  type Access,
  type JsonSchema,
  type RouteSpec,
  requestSchemas,
  responseSchemas,
} from './route-spec.js';
import { allRoutes, TAGS } from './routes.js';

const SECURITY: Record<Access, Record<string, string[]>[]> = {
  public: [],
  caller: [{ bearer: [] }, { authtoken: [] }, { identity: [] }],
  admin: [{ bearer: [] }],
  optional: [{}, { bearer: [] }, { authtoken: [] }, { identity: [] }],
  session: [{ session: [] }],
};

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token, an API token (`slw_...`) or a JWT (DESIGN.md section 9).',
  },
  authtoken: {
    type: 'apiKey',
    in: 'cookie',
    name: 'authtoken',
    description: 'A JWT in the `authtoken` cookie (seed 001).',
  },
  identity: {
    type: 'apiKey',
    in: 'header',
    name: 'Identity',
    description: 'An e-mail or user name, trusted only from peers in SLIPWAY_IDENTITY_CIDRS.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'slipway_session',
    description: 'The web dashboard session, opened by signing in at /login with an API token.',
  },
};

let cached: Record<string, unknown> | undefined;

/**
 * The OpenAPI 3.1 document of every route, built once from the route tables: request bodies are
 * the zod schemas the handlers validate with, responses the zod schemas of what they send.
 */
export function openApiDocument(): Record<string, unknown> {
  cached ??= buildDocument(allRoutes());
  return structuredClone(cached);
}

function buildDocument(routes: RouteSpec[]): Record<string, unknown> {
  const requests = componentsOf(requestSchemas, 'input');
  const responses = componentsOf(responseSchemas, 'output');
  const clash = Object.keys(requests).filter((id) => id in responses);
  if (clash.length > 0) throw new Error(`schema ids used twice: ${clash.join(', ')}`);
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    if (operationIds.has(route.operationId))
      throw new Error(`operationId ${route.operationId} is used twice`);
    operationIds.add(route.operationId);
    paths[route.path] ??= {};
    const item = paths[route.path] as Record<string, unknown>;
    if (item[route.method]) throw new Error(`${route.method} ${route.path} is listed twice`);
    item[route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Slipway',
      version: packageJson.version,
      description: `${packageJson.description} Four REST surfaces (Matatika, DataTask, MetaKraftwerk, nullplatform) over one engine; the interactive reference is at /docs.`,
      license: { name: packageJson.license, identifier: packageJson.license },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: TAGS,
    paths,
    components: { schemas: { ...requests, ...responses }, securitySchemes: SECURITY_SCHEMES },
  };
}

function operation(route: RouteSpec): Record<string, unknown> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const given = route.params ?? [];
  const parameters = [
    ...names.map(
      (name) =>
        given.find((p) => p.in === 'path' && p.name === name) ?? {
          name,
          in: 'path',
          required: true,
          description: name,
          schema: { type: 'string' },
        },
    ),
    ...given.filter((p) => p.in !== 'path'),
  ].map((p) => ({ ...p, required: p.in === 'path' ? true : (p.required ?? false) }));
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const content: Record<string, { schema: JsonSchema }> = {};
    if (spec.schema) content['application/json'] = { schema: ref(spec.schema, 'response', route) };
    for (const [type, schema] of Object.entries(spec.content ?? {})) content[type] = { schema };
    responses[status] = {
      description: spec.description,
      ...(spec.headers ? { headers: spec.headers } : {}),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  if (route.body && !responses['413']) {
    responses['413'] = {
      description: 'The body is larger than 25 MiB (answered before any surface)',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/SpringError' } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    security: SECURITY[route.access],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required ?? true,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: Object.fromEntries(
              (route.body.types ?? ['application/json']).map((type) => [
                type,
                { schema: ref(route.body?.schema, 'request', route) },
              ]),
            ),
          },
        }
      : {}),
    responses,
  };
}

/** `$ref` of a registered schema; an unregistered one is a mistake in the route table. */
function ref(schema: unknown, kind: 'request' | 'response', route: RouteSpec): JsonSchema {
  const registry = kind === 'request' ? requestSchemas : responseSchemas;
  const id = registry.get(schema as Parameters<typeof registry.get>[0])?.id;
  if (!id) throw new Error(`a ${kind} schema of ${route.method} ${route.path} is not registered`);
  return { $ref: `#/components/schemas/${id}` };
}
