import { z } from 'zod';
import { responseBody } from './route-spec.js';

/** An ISO-8601 UTC instant, as every surface writes times. */
export const isoTime = z.iso.datetime();
export const count = z.number().int().min(0);

/** Where a problem was found (core/errors.ts `Problem`). */
export const problem = responseBody(
  'Problem',
  z.object({
    file: z.string().optional(),
    path: z.string().optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    message: z.string(),
  }),
  'One problem of an invalid request, manifest or pattern: the file, JSON path and line.',
);

/** Spring Boot's error body: Matatika, the API tokens and errors outside any surface. */
export const springError = responseBody(
  'SpringError',
  z.object({
    timestamp: isoTime,
    status: z.number().int(),
    error: z.string(),
    message: z.string(),
    path: z.string(),
    problems: z.array(problem).optional(),
  }),
  'Spring Boot error body (Matatika surface, API tokens, 413 of any route).',
);

/** DataTask's error body. */
export const dataTaskError = responseBody(
  'DataTaskError',
  z.object({
    status: z.number().int(),
    error: z.string(),
    message: z.string(),
    problems: z.array(problem).optional(),
  }),
  'DataTask error body.',
);

/** nullplatform's error body. */
export const nullplatformError = responseBody(
  'NullplatformError',
  z.object({ message: z.string(), problems: z.array(problem).optional() }),
  'nullplatform error body.',
);

/** Feathers' error body, which MetaKraftwerk clients read. */
export const feathersError = responseBody(
  'FeathersError',
  z.object({
    name: z.string(),
    message: z.string(),
    code: z.number().int(),
    className: z.string(),
    data: z
      .object({ reason: z.string() })
      .optional()
      .describe('On a 401: why the request was not authenticated.'),
  }),
  'Feathers error body (MetaKraftwerk surface).',
);

/** A bare `{message}`: the GitHub App webhook's answers that queue nothing. */
export const message = responseBody('Message', z.object({ message: z.string() }));

/** `GET /healthz`. */
export const health = responseBody('Health', z.object({ status: z.literal('ok') }));
