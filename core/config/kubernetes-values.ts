import { Cron } from 'croner';
import { LABELS } from '../runtime/types.js';

/** Lowercase RFC 1123 label: what Kubernetes accepts as an object name (at most 63 chars). */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The prefix of the labels Slipway puts on what it deploys. */
const SLIPWAY_PREFIX = `${LABELS.workspace.split('/')[0]}/`;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUANTITY = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
// Kubernetes CronJobs take these; croner knows them all.
const CRON_NICKNAMES = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
];

/** True for a Kubernetes quantity such as `100m`, `0.5`, `128Mi`, `1G` or `1e3`. */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/**
 * The value of a Kubernetes quantity as a number (cores or bytes), to compare a request with
 * its limit; NaN when it is not one.
 *
 * @example
 * quantityValue('500m') // 0.5
 * quantityValue('1Gi')  // 1073741824
 */
export function quantityValue(text: string): number {
  const match = QUANTITY.exec(text);
  if (!match) return Number.NaN;
  const [, number = '', suffix = ''] = match;
  if (/^[eE]/.test(suffix)) return Number(`${number}${suffix}`);
  return Number(number) * (SUFFIX[suffix] ?? Number.NaN);
}

/**
 * Splits `labels` ("key:value", comma-separated for several; spaces around each part trimmed).
 * Pairs without a `:` are left out; `labelProblems` reports them.
 *
 * @example
 * parseLabels('team:data, tier:batch') // { team: 'data', tier: 'batch' }
 */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const { key, value } of labelPairs(text)) if (value !== null) labels[key] = value;
  return labels;
}

/** What is wrong with a `labels` string: each pair, key and value Kubernetes would refuse. */
export function labelProblems(text: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { pair, key, value } of labelPairs(text)) {
    if (value === null) {
      problems.push(`"labels" has "${pair}"; expected key:value pairs separated by commas`);
      continue;
    }
    if (seen.has(key)) problems.push(`"labels" has the key "${key}" twice; expected each once`);
    seen.add(key);
    if (key === LABELS.managedBy || key.startsWith(SLIPWAY_PREFIX)) {
      // They tell whose a workload is: set here they could hand it to another's prune.
      problems.push(
        `"labels" key "${key}" is one Slipway sets itself, to know who deployed a workload; expected a key other than ${LABELS.managedBy} and outside ${SLIPWAY_PREFIX}`,
      );
    }
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : null;
    const name = key.slice(slash + 1);
    if (prefix !== null && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253)) {
      problems.push(
        `"labels" key "${key}" has the prefix "${prefix}", which is not a valid Kubernetes label key prefix; expected a lowercase DNS subdomain such as "example.com"`,
      );
    }
    if (!LABEL_NAME.test(name) || name.length > 63) {
      problems.push(
        `"labels" key "${key}" is not a valid Kubernetes label key; expected [prefix/]name, the name at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
      );
    }
    if (!LABEL_VALUE.test(value) || value.length > 63) {
      problems.push(
        `"labels" value "${value}" of "${key}" is not a valid Kubernetes label value; expected at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
      );
    }
  }
  return problems;
}

function labelPairs(text: string): { pair: string; key: string; value: string | null }[] {
  return text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const index = pair.indexOf(':');
      if (index < 0) return { pair, key: pair, value: null };
      return { pair, key: pair.slice(0, index).trim(), value: pair.slice(index + 1).trim() };
    });
}

/**
 * Why a cron expression is invalid, or null when it is a 5- or 6-field expression (seconds
 * first) or a nickname such as `@daily` that croner accepts.
 *
 * @example
 * cronProblem('*\/5 * * * *') // null
 * cronProblem('every day')   // '"schedule" is "every day"; expected a cron expression ...'
 */
export function cronProblem(expression: string): string | null {
  const text = expression.trim();
  const expected =
    'expected a cron expression of 5 fields (or 6 with seconds) such as "*/5 * * * *", or @hourly, @daily, @weekly, @monthly, @yearly';
  const fields = text.split(/\s+/).length;
  if (text.startsWith('@') ? !CRON_NICKNAMES.includes(text) : fields < 5 || fields > 6) {
    return `"schedule" is "${expression}"; ${expected}`;
  }
  try {
    new Cron(text, { paused: true }).stop();
    return null;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, '');
    return `"schedule" is "${expression}"; ${expected} (${reason})`;
  }
}

/** The fields of a Kubernetes CronJob schedule: its name, bounds and the names it takes. */
const KUBERNETES_CRON_FIELDS = [
  { field: 'minute', min: 0, max: 59, names: [] },
  { field: 'hour', min: 0, max: 23, names: [] },
  { field: 'day-of-month', min: 1, max: 31, names: [] },
  {
    field: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { field: 'weekday', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

/**
 * Why a schedule croner accepts is one a Kubernetes CronJob refuses, or null. Kubernetes parses
 * 5 fields of numbers, names (JAN, MON), `*`, `?`, ranges, steps and lists, weekdays 0-6, and
 * the nicknames; croner also takes seconds, `L`, `W`, `#` and weekday 7, which the API server
 * answers with 422 in the middle of a deploy.
 *
 * @example
 * kubernetesScheduleProblem('0 9 * * MON-FRI') // null
 * kubernetesScheduleProblem('0 0 * * 7')       // 'weekday 7 is above 6 (Sunday is 0)'
 */
export function kubernetesScheduleProblem(schedule: string): string | null {
  const text = schedule.trim();
  if (text.startsWith('@')) return null;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `it has ${fields.length} fields; Kubernetes CronJobs take 5 (minute hour day month weekday)`;
  }
  for (const [index, value] of fields.entries()) {
    const problem = cronFieldProblem(value, KUBERNETES_CRON_FIELDS[index] as CronField);
    if (problem) return problem;
  }
  return null;
}

type CronField = (typeof KUBERNETES_CRON_FIELDS)[number];

function cronFieldProblem(value: string, field: CronField): string | null {
  const names: readonly string[] = field.names;
  const number = (part: string): number | string => {
    const named = names.indexOf(part.toLowerCase());
    if (named >= 0) return named + field.min;
    if (!/^[0-9]+$/.test(part)) {
      const named = names.length > 0 ? ` nor a name such as ${names[1]?.toUpperCase()}` : '';
      return `"${part}" in the ${field.field} field is neither a number${named}; Kubernetes takes numbers, ranges (1-5), steps (*/15) and lists (1,15), not L, W or #`;
    }
    const n = Number(part);
    if (n < field.min) return `${field.field} ${n} is below ${field.min}`;
    if (n > field.max) {
      return `${field.field} ${n} is above ${field.max}${field.field === 'weekday' ? ' (Sunday is 0)' : ''}`;
    }
    return n;
  };
  for (const item of value.split(',')) {
    const [range = '', step, extra] = item.split('/');
    if (extra !== undefined) return `"${item}" in the ${field.field} field has two steps`;
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) {
      return `"${item}" in the ${field.field} field has the step "${step}"; expected a whole number above 0`;
    }
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `"${item}" in the ${field.field} field has two ranges`;
    const ends = bounds.map(number);
    const problem = ends.find((end) => typeof end === 'string');
    if (problem !== undefined) return problem as string;
    const [start, end] = ends as number[];
    if (end !== undefined && (start as number) > end) {
      return `"${item}" in the ${field.field} field starts after it ends`;
    }
  }
  return null;
}

/** Latin letters NFKD leaves whole, spelled as ASCII (after lowercasing). */
const SPELLED: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
};

/**
 * A name folded toward what a Kubernetes name can hold: accents dropped (NFKD, marks removed),
 * lowercase, a few latin letters spelled out (ß -> ss, æ -> ae). Other characters stay as
 * they are, for the caller to replace.
 *
 * @example
 * foldToLatin('Café Straße') // 'cafe strasse'
 */
export function foldToLatin(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæœøđðłþıħ]/g, (c) => SPELLED[c] ?? c);
}
