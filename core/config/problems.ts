import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { formatPath, type JsonSource, locate } from './json-source.js';

/**
 * Turns zod issues into problems at their file, JSON path, line and column, each saying what
 * was wrong, the value seen and what was expected. `knownKeys` lists the keys allowed at a path
 * (indices written `[]`, the root `''`) so an unknown key's problem can name the right ones.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  source: JsonSource,
  knownKeys: Record<string, readonly string[]>,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const expected =
        knownKeys[
          formatPath(path.map((p) => (typeof p === 'number' ? 0 : p))).replace(/\[0\]/g, '[]')
        ];
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        problems.push({
          file: source.file,
          path: formatPath(keyPath),
          ...locate(source, keyPath, { key: true }),
          message: `unknown key "${key}"${expected ? `; expected one of ${expected.join(', ')}` : ''}`,
        });
      }
      continue;
    }
    problems.push({
      file: source.file,
      path: formatPath(path),
      ...locate(source, path),
      message: describeIssue(issue, path),
    });
  }
  return problems;
}

/**
 * `"type" is "cronjob"; expected one of job, deployment, service`. A problem of the whole value
 * (no path) names it `whole`.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  path: readonly PropertyKey[] = issue.path,
  whole = 'the file',
): string {
  const name = path.length > 0 ? `"${formatPath(path)}"` : whole;
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return `${name} is missing; ${issue.message}`;
  if (path.length === 0 && issue.code === 'invalid_type')
    return `${name} holds ${describeValue(issue.input)}; ${issue.message}`;
  // Our own refinements name the field themselves; zod's `.refine` messages say only what is expected.
  if (issue.code === 'custom' && issue.message.startsWith('"')) return issue.message;
  return `${name} is ${describeValue(issue.input)}; ${issue.message}`;
}

/** A value as a message shows it: short JSON, or cut when long. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Nested deeper than the stack goes: say what it is, not its text.
    return Array.isArray(value) ? 'a deeply nested array' : 'a deeply nested object';
  }
  if (text === undefined) return typeof value;
  return text.length <= 80 ? text : `${text.slice(0, 77)}...`;
}

/**
 * Problems in the order of the file (line, then column); problems without a position last.
 * The sort is stable, so problems at one place keep the order they were found in.
 */
export function sortProblems(problems: Problem[]): Problem[] {
  const rank = (p: Problem) => (p.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (p.column ?? 0);
  return [...problems].sort((a, b) => rank(a) - rank(b));
}

/**
 * One line for a person: where, then what. The message already names the JSON path.
 *
 * @example
 * formatProblem({ file: 'tasks/a/manifest.json', path: 'type', line: 3, column: 11,
 *   message: '"type" is "cronjob"; expected one of job, deployment, service' })
 * // 'tasks/a/manifest.json:3:11 "type" is "cronjob"; expected one of job, deployment, service'
 */
export function formatProblem(problem: Problem): string {
  const where = [problem.file, problem.line, problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  return where ? `${where} ${problem.message}` : problem.message;
}
