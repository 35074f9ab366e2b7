import type { Context } from 'hono';
import { z } from 'zod';
import { NAME_PATTERN } from '../../core/config/index.js';
import { SlipwayError } from '../../core/errors.js';
import { branchName } from '../../core/workspaces/schema.js';
import { type AuthVariables, type Identity, identityOf } from './auth.js';
import { parseJsonBody, parseWith } from './validate.js';

/** DataTask's defaults (seed 001): branch `master`. */
export const DEFAULT_BRANCH = 'master';

const objectName = (what: string) =>
  z
    .string({ error: `expected a string (${what})` })
    .max(63, { error: `expected at most 63 characters (${what})` })
    .regex(NAME_PATTERN, {
      error: `expected lowercase letters, digits and '-', starting and ending with a letter or digit (${what})`,
    });

/**
 * An optional field whose empty value counts as absent, so its default applies: an HTML form
 * sends every input, the ones left empty as "" (seed 001 gives defaults for namespace, name and
 * branch). The union puts "" in the OpenAPI document. Its message is for a value of the wrong
 * type; for a string that breaks a rule of `schema`, zod reports that rule's own message.
 */
const emptyIsAbsent = <S extends z.ZodType>(schema: S, error: string) =>
  z
    .union([z.literal(''), schema], { error })
    .optional()
    .transform((value) => (value === '' ? undefined : (value as z.output<S>)));

/** Fields of the DataTask bodies (form-data or JSON); each route picks the ones it takes. */
export const fields = {
  branch: emptyIsAbsent(branchName, 'expected a branch name, or "" for master'),
  schedule: z
    .string({ error: 'expected a cron expression, or "" for none' })
    .max(200, { error: 'expected a cron expression of at most 200 characters' })
    .optional(),
  namespace: emptyIsAbsent(
    objectName('a Kubernetes namespace'),
    'expected a Kubernetes namespace, or "" for the default',
  ),
  name: emptyIsAbsent(
    objectName('a Kubernetes name'),
    'expected a Kubernetes name, or "" for the default',
  ),
  repository: z
    .string({ error: 'expected a repository name in SLIPWAY_REPOS_DIR or owner/name' })
    .max(2048)
    .optional(),
  directory: z.string({ error: 'expected a directory of the repository' }).max(1024).optional(),
  templatePath: z
    .string({ error: 'expected the file name of a template' })
    .min(1, { error: 'expected the file name of a template' })
    .max(1024),
  /**
   * A deployment definition of the pattern named by `template_path`: its name, or its id
   * (MetaKraftwerk's integer, in JSON as a number or a string).
   */
  deployment: emptyIsAbsent(
    z.union([
      z.string().max(253, { error: 'expected at most 253 characters' }),
      z
        .number()
        .int()
        .min(1)
        .transform((id) => String(id)),
    ]),
    `expected the name or id of one of the pattern's deployment definitions, or "" for none`,
  ),
  configuration: z
    .union([z.string(), z.record(z.string(), z.unknown())], {
      error: 'expected the JSON of the configuration',
    })
    .optional(),
};

/** The names of every field a DataTask body may carry. */
const BODY_FIELDS = new Set([
  'namespace',
  'name',
  'branch',
  'schedule',
  'repository',
  'directory',
  'template_path',
  'deployment',
  'configuration',
]);

/**
 * A DataTask field in the query string is refused rather than dropped: no route reads its
 * fields there (seed 001 puts them in the path or the body), and a deploy that went ahead
 * without it would land in the default namespace, or under the default name, without a word.
 * `expected` says where the route takes its values from.
 */
export function refuseQueryFields(c: Context, expected: string): void {
  const given = Object.keys(c.req.queries()).filter((key) => BODY_FIELDS.has(key));
  if (given.length === 0) return;
  const names = given.map((key) => `"${key}"`).join(', ');
  throw new SlipwayError(
    'BAD_REQUEST',
    `${names} ${given.length > 1 ? 'are' : 'is'} in the query string, where ${c.req.path} does not read ${given.length > 1 ? 'them' : 'it'}; expected ${expected}`,
    { problems: given.map((key) => ({ path: key, message: `"${key}" is in the query string` })) },
  );
}

/**
 * The request body as flat fields: a JSON object, or form-data / urlencoded fields (an uploaded
 * file becomes its text; a field given twice is refused). An empty body has no fields. A body
 * field sent in the query string instead is refused.
 */
export async function readFields(c: Context): Promise<Record<string, unknown>> {
  refuseQueryFields(c, 'it in the request body (form-data, urlencoded or JSON)');
  const type = c.req.header('content-type') ?? '';
  if (/\bjson\b/i.test(type)) {
    const text = await c.req.text();
    if (text.trim() === '') return {};
    const value = parseJsonBody(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new SlipwayError('BAD_REQUEST', 'request body must be a JSON object');
    }
    return value as Record<string, unknown>;
  }
  if (/multipart\/form-data|application\/x-www-form-urlencoded/i.test(type)) {
    // `all`: a field sent twice arrives as both values, not silently as the last one.
    const body = await c.req.parseBody({ all: true });
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (Array.isArray(value)) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `field "${key}" is given ${value.length} times; expected it once`,
          { problems: [{ path: key, message: `"${key}" is given ${value.length} times` }] },
        );
      }
      result[key] = typeof value === 'string' ? value : await value.text();
    }
    return result;
  }
  const text = await c.req.text();
  if (text.trim() === '') return {};
  throw new SlipwayError(
    'BAD_REQUEST',
    `Content-Type is "${type || 'missing'}"; expected multipart/form-data, application/x-www-form-urlencoded or application/json`,
    { status: 415 },
  );
}

/**
 * The bodies the DataTask routes take, one schema each: the handlers validate with them and the
 * OpenAPI document describes them. Any other field is an error naming it.
 */
export const bodies = {
  branch: z.strictObject({ branch: fields.branch }),
  branchSchedule: z.strictObject({ branch: fields.branch, schedule: fields.schedule }),
  taskDeploy: z.strictObject({
    namespace: fields.namespace,
    name: fields.name,
    branch: fields.branch,
    schedule: fields.schedule,
  }),
  taskWithConfiguration: z.strictObject({
    namespace: fields.namespace,
    configuration: fields.configuration,
    template_path: emptyIsAbsent(
      fields.templatePath,
      'expected the file name of a template, or "" for none',
    ),
    deployment: fields.deployment,
    repository: fields.repository,
    directory: fields.directory,
    branch: fields.branch,
    name: fields.name,
  }),
  template: z.strictObject({ template_path: fields.templatePath }),
  pipelineRun: z.strictObject({ namespace: fields.namespace, branch: fields.branch }),
  pipelineWithConfiguration: z.strictObject({
    namespace: fields.namespace,
    configuration: fields.configuration,
    name: fields.name,
    branch: fields.branch,
  }),
};

/** Reads the body (JSON or a form) and validates it with one of `bodies`. */
export async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  return parseWith(schema, await readFields(c), 'request body');
}

/** A path parameter checked against the rule for what it names. */
export function pathName(c: Context, param: string, what = 'a Kubernetes name'): string {
  const value = c.req.param(param) ?? '';
  if (!NAME_PATTERN.test(value) || value.length > 63) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `":${param}" is "${value}"; expected ${what}: lowercase letters, digits and '-'`,
    );
  }
  return value;
}

/** Protected routes (seed 001): a JWT in the authtoken cookie, an Identity header, or a bearer token. */
export async function requireCaller(c: Context<{ Variables: AuthVariables }>): Promise<Identity> {
  const identity = await identityOf(c);
  if (!identity) {
    throw new SlipwayError(
      'UNAUTHENTICATED',
      'this route is protected: pass your identity as a JWT in the authtoken cookie, an Identity header, or "Authorization: Bearer <token>"',
    );
  }
  return identity;
}
