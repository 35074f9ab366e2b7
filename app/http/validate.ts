import type { Context } from 'hono';
import type { z } from 'zod';
import {
  describeIssue,
  describeValue,
  duplicateKeyProblems,
  formatPath,
  parseJsonSource,
} from '../../core/config/index.js';
import { type Problem, SlipwayError } from '../../core/errors.js';

/**
 * The request body as JSON. An empty body is `{}` (so a schema can say which fields are
 * missing); anything that is not JSON is a 400 saying where it broke.
 */
export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  const text = await c.req.text();
  if (text.trim() === '') return {};
  if (type && !/\bjson\b/i.test(type)) {
    throw new SlipwayError('BAD_REQUEST', `Content-Type is "${type}"; expected application/json`, {
      status: 415,
    });
  }
  return parseJsonBody(text);
}

/**
 * A request body's JSON text parsed; a 400 when it is not JSON, or when one object gives a key
 * twice (JSON.parse would keep the last value without a word, as a form's second field would).
 */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object') return value;
  const twice = keysGivenTwice(text);
  if (twice.length > 0) {
    const problems = twice.map(({ path = '', message }) => ({
      path,
      message: path.includes('.') || path.includes('[') ? `${message} (at "${path}")` : message,
    }));
    throw new SlipwayError(
      'BAD_REQUEST',
      `request body is invalid: ${problems.map((p) => p.message).join('; ')}`,
      { problems },
    );
  }
  return value;
}

/**
 * The keys one object of `text` gives twice. A document nested deeper than the stack goes
 * (JSON.parse takes it; its tree cannot be walked) is left to the schema, which refuses it.
 */
function keysGivenTwice(text: string): Problem[] {
  try {
    const source = parseJsonSource(text, 'request body');
    return source.ok ? duplicateKeyProblems(source.source) : [];
  } catch (error) {
    if (error instanceof RangeError) return [];
    throw error;
  }
}

/**
 * Validates `value` with `schema`; a 400 lists every problem, each naming the field, the value
 * seen and what was expected.
 *
 * @example
 * parseWith(createWorkspaceSchema, await readJson(c), 'request body')
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => describeBodyIssue(issue, value, what));
  throw new SlipwayError('BAD_REQUEST', `${what} is invalid: ${messages.join('; ')}`, {
    problems: messages.map((message, i) => ({
      path: formatPath(parsed.error.issues[i]?.path ?? []),
      message,
    })),
  });
}

function describeBodyIssue(issue: z.core.$ZodIssue, root: unknown, what: string): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in "${formatPath(issue.path)}"` : '';
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
  }
  if (
    issue.path.length === 0 &&
    (root === null || typeof root !== 'object' || Array.isArray(root))
  ) {
    return `expected a JSON object, got ${describeValue(root)}`;
  }
  return describeIssue(issue, issue.path, `the ${what}`);
}

/**
 * The query parameters of a request that changes something: each must be one its route reads
 * (`allowed`). A misspelt one (`?dry_run=true` for `?plan=true`, `?comit=` for `?commit=`)
 * would otherwise be dropped without a word, and the request do something else than asked: a
 * real deploy instead of a plan, the branch head instead of a rollback.
 *
 * @example
 * refuseUnknownQuery(c, ['plan', 'commit', 'force'])
 */
export function refuseUnknownQuery(c: Context, allowed: readonly string[] = []): void {
  const unknown = Object.keys(c.req.queries()).filter((key) => !allowed.includes(key));
  if (unknown.length === 0) return;
  const names = unknown.map((key) => `"${key}"`).join(', ');
  const expected =
    allowed.length === 0 ? 'none' : `only ${allowed.map((key) => `"${key}"`).join(', ')}`;
  throw new SlipwayError(
    'BAD_REQUEST',
    `query parameter${unknown.length > 1 ? 's' : ''} ${names} ${unknown.length > 1 ? 'are' : 'is'} not taken by ${c.req.method} ${c.req.path}; expected ${expected}`,
    {
      problems: unknown.map((key) => ({ path: key, message: `"${key}" is not taken here` })),
    },
  );
}
