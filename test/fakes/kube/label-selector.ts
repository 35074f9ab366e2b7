import { badRequest } from './status-error.js';

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

type Requirement =
  | { op: '=' | '!='; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | '!'; key: string }
  | { op: 'gt' | 'lt'; key: string; value: number };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>']);

/** Splits a selector into identifiers and operators, as `labels.Lexer` does. */
function tokenize(input: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '=' || c === '!') {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push(two);
        i += 2;
      } else {
        tokens.push(c);
        i += 1;
      }
    } else if (SPECIAL.has(c)) {
      tokens.push(c);
      i += 1;
    } else {
      let j = i;
      while (j < input.length && !SPECIAL.has(input[j] as string) && !/\s/.test(input[j] as string))
        j += 1;
      tokens.push(input.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `key` is a qualified name (`[prefix/]name`), the form of label keys. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1) ?? '';
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    return prefix.length > 0 && prefix.length <= 253 && PREFIX.test(prefix);
  }
  return true;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

function fail(why: string): never {
  throw badRequest(`unable to parse requirement: ${why}`);
}

function checkKey(key: string | undefined): string {
  if (key === undefined || SPECIAL.has(key) || key === '==' || key === '!=')
    fail(`found '${key ?? ''}', expected: identifier`);
  if (!isQualifiedName(key))
    fail(
      `key: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  return key;
}

function checkValue(key: string, value: string): string {
  if (!isLabelValue(value))
    fail(
      `values[0][${key}]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  return value;
}

/**
 * Parses a `labelSelector` query value (`a=b,c!=d,e in (f,g),h notin (i),j,!k`) into a matcher;
 * a malformed selector is a 400 BadRequest, as from a real API server.
 */
export function parseLabelSelector(selector: string | undefined): LabelMatcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const tokens = tokenize(selector);
  const requirements: Requirement[] = [];
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    if (tokens[i] === '!') {
      i += 1;
      requirements.push({ op: '!', key: checkKey(next()) });
    } else {
      const key = checkKey(next());
      const op = tokens[i];
      if (op === undefined || op === ',') {
        requirements.push({ op: 'exists', key });
      } else if (op === '=' || op === '==' || op === '!=') {
        i += 1;
        const value = tokens[i] === undefined || tokens[i] === ',' ? '' : (next() as string);
        requirements.push({ op: op === '!=' ? '!=' : '=', key, value: checkValue(key, value) });
      } else if (op === 'in' || op === 'notin') {
        i += 1;
        if (next() !== '(') fail(`found '${tokens[i - 1] ?? ''}', expected: '('`);
        const values: string[] = [];
        while (tokens[i] !== ')') {
          const value = next();
          if (value === undefined) fail(`found '', expected: ')'`);
          if (value !== ',') values.push(checkValue(key, value));
        }
        i += 1;
        requirements.push({ op, key, values });
      } else if (op === '>' || op === '<') {
        i += 1;
        const raw = next() ?? '';
        const value = Number.parseInt(raw, 10);
        if (!/^-?\d+$/.test(raw)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        requirements.push({ op: op === '>' ? 'gt' : 'lt', key, value });
      } else {
        fail(`found '${op}', expected: '=', '!=', '==', 'in', notin'`);
      }
    }
    if (i < tokens.length) {
      if (tokens[i] !== ',') fail(`found '${tokens[i]}', expected: ',' or 'end of string'`);
      i += 1;
      if (i === tokens.length) fail(`found '', expected: identifier after ','`);
    }
  }
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case '=':
      return has && value === r.value;
    case '!=':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value as string);
    case 'notin':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
      return has && /^-?\d+$/.test(value as string) && Number(value) > r.value;
    case 'lt':
      return has && /^-?\d+$/.test(value as string) && Number(value) < r.value;
  }
}
