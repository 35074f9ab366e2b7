import { z } from 'zod';
import { DEFINITION_TYPES, definitionSchema } from '../../../core/patterns/index.js';
import { feathersError, problem } from './common-schemas.js';
import { errorResponses, integerId, query, type RouteSpec, responseBody } from './route-spec.js';

const id = z.number().int().min(1);
const type = z.enum(DEFINITION_TYPES);

/** `patternJson` of app/http/metakraftwerk.ts: a valid one has its template, an invalid one its problems. */
const pattern = responseBody(
  'Pattern',
  z.object({
    id,
    name: z.string(),
    file: z.string(),
    kind: z.enum(['task', 'pipeline']).nullable(),
    valid: z.boolean(),
    template: z.record(z.string(), z.unknown()).nullable().optional(),
    problems: z.array(problem).optional(),
    deployments: z.array(z.object({ id, name: z.string(), type })),
  }),
);

const patternList = responseBody('PatternList', z.array(pattern));

const definitionList = responseBody(
  'DeploymentDefinitionList',
  z.array(z.object({ id, pattern_id: id, name: z.string(), type })),
);

/** `definitionJson`: the pattern file's definition (the same schema) with its ids. */
const definition = responseBody(
  'DeploymentDefinition',
  z.union(
    definitionSchema.options.map((option) =>
      option.extend({ id, pattern_id: id, pattern: z.string() }),
    ),
  ),
);

const tags = ['MetaKraftwerk'];
const errors = (...statuses: number[]) => errorResponses(feathersError, ...statuses);

/** The MetaKraftwerk surface (seed 002, DESIGN.md 7.3), mounted at /api/v1: read-only. */
export function metaKraftwerkRoutes(): RouteSpec[] {
  const reads: RouteSpec[] = [
    {
      method: 'get',
      path: '/api/v1/patterns',
      operationId: 'listPatterns',
      summary: 'Patterns, or the one named `name`',
      tags,
      access: 'caller',
      params: [query('name', 'Only the pattern of this name', { type: 'string' })],
      responses: {
        200: { description: 'The patterns', schema: patternList },
        ...errors(401, 404),
      },
    },
    {
      method: 'get',
      path: '/api/v1/patterns/{id}',
      operationId: 'getPattern',
      summary: 'A pattern',
      tags,
      access: 'caller',
      params: [integerId('id', 'The pattern id')],
      responses: { 200: { description: 'The pattern', schema: pattern }, ...errors(400, 401, 404) },
    },
    {
      method: 'get',
      path: '/api/v1/deployments',
      operationId: 'listDeploymentDefinitions',
      summary: 'Deployment definitions; the filters combine',
      tags,
      access: 'caller',
      params: [
        query('pattern', 'Of the pattern of this name', { type: 'string' }),
        query('pattern_id', 'Of the pattern of this id', { type: 'integer', minimum: 0 }),
        query('name', 'Of this name', { type: 'string' }),
      ],
      responses: {
        200: { description: 'The definitions', schema: definitionList },
        ...errors(400, 401, 404),
      },
    },
    {
      method: 'get',
      path: '/api/v1/deployments/{id}',
      operationId: 'getDeploymentDefinition',
      summary: 'A deployment definition with its target',
      tags,
      access: 'caller',
      params: [integerId('id', 'The definition id')],
      responses: {
        200: { description: 'The definition', schema: definition },
        ...errors(400, 401, 404),
      },
    },
  ];
  const writes = [
    '/api/v1/deployments',
    '/api/v1/deployments/{id}',
    '/api/v1/patterns',
    '/api/v1/patterns/{id}',
  ].flatMap((path) =>
    (['post', 'put', 'patch', 'delete'] as const).map(
      (method): RouteSpec => ({
        method,
        path,
        operationId: `${method}${path.replace(/\/api\/v1\/(\w)(\w+)(\/\{id\})?/, (_, a: string, b: string, one?: string) => `${a.toUpperCase()}${b}${one ? 'ById' : ''}`)}`,
        summary: 'Not implemented: the surface is read-only',
        tags,
        access: 'caller',
        responses: errors(401, 501),
      }),
    ),
  );
  return [...reads, ...writes];
}
