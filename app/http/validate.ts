import type { Context } from 'hono';
import type { z } from 'zod';
import {
  describeIssue,
  describeValue,
  duplicateKeyProblems,
  formatPath,
  parseJsonSource,
} from '../../core/config/index.js';
import { SlipwayError } from '../../core/errors.js';

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
  const source = parseJsonSource(text, 'request body');
  const twice = source.ok ? duplicateKeyProblems(source.source) : [];
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
