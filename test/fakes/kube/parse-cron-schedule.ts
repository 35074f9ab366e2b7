/**
 * What the API server says of a CronJob's `spec.schedule`: the error of the cron parser it uses
 * (robfig/cron's standard parser: 5 fields, numbers, month and weekday names, `*`, `?`, ranges,
 * steps, lists, weekdays 0-6, and the `@` descriptors including `@every <duration>`), worded as
 * that parser words it; null when it parses. A schedule naming a time zone is refused as the
 * CronJob validation refuses it.
 */
export function cronScheduleError(schedule: string): string | null {
  if (schedule.includes('TZ')) {
    return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  }
  const spec = schedule.trim();
  if (spec === '') return 'empty spec string';
  if (spec.startsWith('@')) return descriptorError(spec);
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) {
    return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  }
  for (const [index, field] of fields.entries()) {
    const bounds = BOUNDS[index] as Bounds;
    for (const expr of field.split(',')) {
      const error = rangeError(expr, bounds);
      if (error) return error;
    }
  }
  return null;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const BOUNDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];
const DESCRIPTORS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);
/** A Go duration, as `time.ParseDuration` reads it: `90s`, `1h30m`, `1.5h`. */
const GO_DURATION = /^(?:[0-9]*\.?[0-9]+(?:ns|us|µs|ms|s|m|h))+$/;

function descriptorError(spec: string): string | null {
  if (DESCRIPTORS.has(spec)) return null;
  if (spec.startsWith('@every ')) {
    const duration = spec.slice('@every '.length);
    return GO_DURATION.test(duration)
      ? null
      : `failed to parse duration ${spec}: time: invalid duration "${duration}"`;
  }
  return `unrecognized descriptor: ${spec}`;
}

/** robfig/cron's getRange: `*` or `?`, a number or name, `a-b`, each with an optional `/step`. */
function rangeError(expr: string, bounds: Bounds): string | null {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  let start: number;
  let end: number;
  let zeroStep = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
  } else {
    const low = parseValue(lowAndHigh[0] ?? '', bounds);
    if (typeof low === 'string') return low;
    start = low;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const high = parseValue(lowAndHigh[1] ?? '', bounds);
      if (typeof high === 'string') return high;
      end = high;
    } else return `too many hyphens: ${expr}`;
  }
  if (rangeAndStep.length === 2) {
    const step = atoi(rangeAndStep[1] ?? '');
    if (typeof step === 'string') return step;
    // A lone number with a step runs to the field's end ("N/step" means "N-max/step").
    if (lowAndHigh.length === 1 && lowAndHigh[0] !== '*' && lowAndHigh[0] !== '?') end = bounds.max;
    zeroStep = step === 0;
  } else if (rangeAndStep.length > 2) {
    return `too many slashes: ${expr}`;
  }
  if (start < bounds.min)
    return `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`;
  if (end > bounds.max) return `end of range (${end}) above maximum (${bounds.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (zeroStep) return `step of range should be a positive number: ${expr}`;
  return null;
}

function parseValue(text: string, bounds: Bounds): number | string {
  const named = bounds.names?.[text.toLowerCase()];
  return named ?? atoi(text);
}

/** robfig/cron's mustParseInt, over Go's strconv.Atoi. */
function atoi(text: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    return `failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
  }
  const n = Number(text);
  if (n < 0) return `negative number (${n}) not allowed: ${text}`;
  return n;
}
