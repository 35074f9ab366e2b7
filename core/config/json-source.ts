import {
  findNodeAtLocation,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import type { Problem } from '../errors.js';

/** JSON text parsed with positions, so problems can point at a line and column. */
export interface JsonSource {
  file: string;
  text: string;
  tree: Node | undefined;
  value: unknown;
}

export type JsonPath = (string | number)[];

/**
 * Parses strict JSON (no comments, no trailing commas). Syntax errors come back as problems at
 * their line and column; all of them, not only the first.
 */
export function parseJsonSource(
  text: string,
  file: string,
): { ok: true; source: JsonSource } | { ok: false; problems: Problem[] } {
  if (text.trim() === '')
    return {
      ok: false,
      problems: [{ file, line: 1, column: 1, message: 'invalid JSON: the file is empty' }],
    };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || !tree) {
    // One problem per place: the parser reports a cascade of errors at the same offset.
    const distinct = errors.filter(
      (error, i) => errors.findIndex((e) => e.offset === error.offset) === i,
    );
    const problems = distinct.map((error) => ({
      file,
      ...position(text, error.offset),
      message: `invalid JSON: ${describeParseError(printParseErrorCode(error.error))}`,
    }));
    return {
      ok: false,
      problems:
        problems.length > 0
          ? problems
          : [{ file, line: 1, column: 1, message: 'invalid JSON: the file is empty' }],
    };
  }
  return { ok: true, source: { file, text, tree, value: JSON.parse(text) } };
}

/**
 * Line and column (1-based) of the value at `path`, or of the key itself with `key: true`; the
 * nearest existing ancestor when the path is not in the document (a missing key).
 */
export function locate(
  source: JsonSource,
  path: JsonPath,
  options: { key?: boolean } = {},
): { line?: number; column?: number } {
  if (!source.tree) return {};
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(source.tree, path.slice(0, length));
    if (!node) continue;
    const target =
      options.key && length === path.length && node.parent?.type === 'property'
        ? node.parent
        : node;
    return position(source.text, target.offset);
  }
  return position(source.text, source.tree.offset);
}

/** `env[0].value` for `['env', 0, 'value']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
