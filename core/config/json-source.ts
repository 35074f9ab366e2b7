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
  tree: Node;
  value: unknown;
}

/** A path into a JSON document: keys and array indices (`['env', 0, 'value']`). */
export type JsonPath = (string | number)[];

/**
 * Parses strict JSON (no comments, no trailing commas). A syntax error is one problem at its
 * line and column (the parser's later errors are mostly echoes of the first).
 *
 * @example
 * parseJsonSource('{\n  "a": 1,\n}', 'x.json')
 * // { ok: false, problems: [{ file: 'x.json', line: 3, column: 1, message: 'invalid JSON: property name expected' }] }
 */
export function parseJsonSource(
  given: string,
  file: string,
): { ok: true; source: JsonSource } | { ok: false; problems: Problem[] } {
  // A byte order mark (some Windows editors write one) is ignored, as RFC 8259 lets a parser
  // do; a space in its place keeps every line and column where they were.
  const text = given.startsWith('\uFEFF') ? ` ${given.slice(1)}` : given;
  const fail = (offset: number, why: string) => ({
    ok: false as const,
    problems: [{ file, ...position(text, offset), message: `invalid JSON: ${why}` }],
  });
  if (text.trim() === '') return fail(0, 'the file is empty');
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (first) return fail(first.offset, describeParseError(printParseErrorCode(first.error)));
  if (!tree) return fail(0, 'no value');
  try {
    return { ok: true, source: { file, text, tree, value: JSON.parse(text) } };
  } catch (error) {
    // The two parsers disagree on a corner (e.g. a control character in a string).
    const message = (error as Error).message;
    return fail(Number(/position (\d+)/.exec(message)?.[1] ?? 0), message);
  }
}

/**
 * Line and column (1-based) of the value at `path`, or of its key with `key: true`; the
 * nearest existing ancestor when the path is not in the document (a missing key points at the
 * object that lacks it).
 *
 * @example
 * locate(source, ['env', 0, 'value'])          // { line: 8, column: 16 }
 * locate(source, ['imagee'], { key: true })    // { line: 14, column: 3 }
 */
export function locate(
  source: JsonSource,
  path: JsonPath,
  options: { key?: boolean } = {},
): { line: number; column: number } {
  for (let length = path.length; length > 0; length--) {
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

/**
 * Every key that appears twice in one object: JSON.parse would silently keep the last one.
 *
 * @example
 * duplicateKeyProblems(source) // [{ path: 'name', message: 'key "name" appears again (first at line 2); expected each key once' }]
 */
export function duplicateKeyProblems(source: JsonSource): Problem[] {
  const problems: Problem[] = [];
  const walk = (node: Node, path: JsonPath) => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const earlier = seen.get(key);
        if (earlier) {
          problems.push({
            file: source.file,
            path: formatPath([...path, key]),
            ...position(source.text, keyNode.offset),
            message: `key "${key}" appears again (first at line ${position(source.text, earlier.offset).line}); expected each key once`,
          });
        } else seen.set(key, keyNode);
        if (valueNode) walk(valueNode, [...path, key]);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => {
        walk(child, [...path, i]);
      });
    }
  };
  walk(source.tree, []);
  return problems;
}

/**
 * A JSON path as messages write it.
 *
 * @example
 * formatPath(['env', 0, 'value']) // 'env[0].value'
 */
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
