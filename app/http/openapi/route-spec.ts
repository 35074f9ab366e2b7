import { z } from 'zod';
import { reasonPhrase } from '../errors.js';

/** A JSON Schema (2020-12) written by hand, for what no zod schema describes (text, any JSON). */
export type JsonSchema = Record<string, unknown>;

/** Who may call a route (DESIGN.md section 9). */
export type Access =
  /** No credential: the route is public or checks a signature of its own. */
  | 'public'
  /** A bearer token (admin, API token, JWT), the `authtoken` cookie or a trusted `Identity` header. */
  | 'caller'
  /** The admin token only. */
  | 'admin'
  /** Public, but the identity is recorded when one is sent. */
  | 'optional'
  /** The web dashboard's `slipway_session` cookie. */
  | 'session';

/** Responses by status code; `default` stands for any 5xx. */
export type Responses = { [status: number]: ResponseSpec; default?: ResponseSpec };

export interface ResponseSpec {
  description: string;
  /** A registered response schema, sent as `application/json`. */
  schema?: z.ZodType;
  /** Other media types, by hand. */
  content?: Record<string, JsonSchema>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface ParamSpec {
  name: string;
  in: 'query' | 'header' | 'path';
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface BodySpec {
  /** A registered request schema: the very object the handler validates with. */
  schema: z.ZodType;
  /** Media types the handler reads; default `application/json`. */
  types?: string[];
  description?: string;
  required?: boolean;
}

/**
 * One operation of the route table. Path parameters (`{id}`) are strings unless `params`
 * describes them; `responses` keys are status codes, `default` is any 5xx.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: ParamSpec[];
  body?: BodySpec;
  responses: Responses;
}

/** Request bodies, converted as input (defaults make fields optional). */
export const requestSchemas = z.registry<{ id: string; description?: string }>();
/** Response bodies, converted as output; objects there are closed (`additionalProperties: false`). */
export const responseSchemas = z.registry<{ id: string; description?: string }>();

/** Registers `schema` as the request body component `id` and returns it. */
export function requestBody<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  requestSchemas.add(schema, description ? { id, description } : { id });
  return schema;
}

/** Registers `schema` as the response body component `id` and returns it. */
export function responseBody<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  responseSchemas.add(schema, description ? { id, description } : { id });
  return schema;
}

/** Error responses of one surface: `schema` for each status, and for any 5xx as `default`. */
export function errorResponses(schema: z.ZodType, ...statuses: number[]): Responses {
  const responses: Responses = {
    default: { description: 'Unexpected error (5xx): the details are in the server log', schema },
  };
  for (const status of statuses) responses[status] = { description: reasonPhrase(status), schema };
  return responses;
}

/** A query parameter. */
export function query(name: string, description: string, schema: JsonSchema): ParamSpec {
  return { name, in: 'query', description, schema };
}

/** A header parameter. */
export function header(name: string, description: string, required = false): ParamSpec {
  return { name, in: 'header', description, required, schema: { type: 'string' } };
}

/** A path parameter that must be an integer id. */
export function integerId(name: string, description: string): ParamSpec {
  return {
    name,
    in: 'path',
    description,
    required: true,
    schema: { type: 'integer', minimum: 1 },
  };
}
