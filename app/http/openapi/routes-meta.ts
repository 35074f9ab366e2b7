import { z } from 'zod';
import { health } from './common-schemas.js';
import { type RouteSpec, responseBody } from './route-spec.js';

const readiness = responseBody(
  'Readiness',
  z.object({
    status: z.enum(['ready', 'not ready']),
    checks: z.record(z.string(), z.string()).describe('`ok`, or `failing: <why>`, per dependency'),
  }),
);

const tags = ['Server'];

/** Liveness, readiness, metrics and this very reference. */
export const metaRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness: the process answers',
    tags,
    access: 'public',
    responses: { 200: { description: 'Alive', schema: health } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: the database answers and the runtime API is reachable',
    tags,
    access: 'public',
    responses: {
      200: { description: 'Ready', schema: readiness },
      503: { description: 'Not ready, naming what fails', schema: readiness },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    tags,
    access: 'public',
    responses: {
      200: { description: 'Prometheus text format', content: { 'text/plain': { type: 'string' } } },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tags,
    access: 'public',
    responses: {
      200: {
        description: 'The document',
        content: {
          'application/json': {
            type: 'object',
            properties: { openapi: { type: 'string' }, paths: { type: 'object' } },
            required: ['openapi', 'paths'],
          },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getApiReference',
    summary: 'A readable reference of this document, with a form to try each call',
    tags,
    access: 'public',
    responses: {
      200: { description: 'An HTML page', content: { 'text/html': { type: 'string' } } },
    },
  },
];
