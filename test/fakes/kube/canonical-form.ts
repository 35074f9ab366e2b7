import { isPlainObject, type JsonObject, pathValue } from './kube-object.js';

/**
 * Where each kind holds its pod spec. A real API server decodes objects into Go types and
 * encodes them back, which drops `omitempty` fields at their zero value and rewrites quantities;
 * the fake does the same to the fields of pod specs where Slipway sets such values.
 */
const POD_SPEC: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** `int32 ...,omitempty` fields of core/v1 Probe: 0 is left out (and then defaulted). */
const PROBE_INTS = [
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
];

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const QUANTITY =
  /^([+-]?)(\d+\.?\d*|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

const pow = (base: bigint, exponent: number) => base ** BigInt(exponent);

/**
 * A quantity in the form `resource.Quantity` serializes it: the amount is kept (rounded up to
 * nano units), the format (decimal SI, binary SI, exponent) chosen as `CanonicalizeBytes` does.
 * Text that is not a quantity is answered unchanged.
 *
 * @example
 * canonicalQuantity('0.5')    // '500m'
 * canonicalQuantity('1024Mi') // '1Gi'
 * canonicalQuantity('1000m')  // '1'
 */
export function canonicalQuantity(text: string): string {
  const match = QUANTITY.exec(text);
  if (!match) return text;
  const [, sign = '', number = '', exponentSuffix, suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  let exponent = -fraction.length;
  let format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent' = 'DecimalSI';
  if (exponentSuffix) {
    format = 'DecimalExponent';
    exponent += Number(exponentSuffix.slice(1));
  } else if (BINARY_SUFFIX.includes(suffix) && suffix !== '') {
    format = 'BinarySI';
    mantissa *= pow(1024n, BINARY_SUFFIX.indexOf(suffix));
  } else {
    exponent += DECIMAL_SUFFIX[suffix] ?? 0;
  }
  if (exponent < -9) {
    // Finer than nano units: rounded up, away from zero.
    const divisor = pow(10n, -9 - exponent);
    mantissa = (mantissa + divisor - 1n) / divisor;
    exponent = -9;
  }
  if (mantissa === 0n) return '0';
  const negative = sign === '-';
  if (format === 'BinarySI') {
    const whole1024 =
      exponent >= 0
        ? mantissa * pow(10n, exponent)
        : mantissa % pow(10n, -exponent) === 0n
          ? mantissa / pow(10n, -exponent)
          : undefined;
    // Below 1Ki, or not a whole number of bytes, a binary amount is written in decimal.
    if (whole1024 !== undefined && whole1024 >= 1024n) {
      let amount = whole1024;
      let power = 0;
      while (amount % 1024n === 0n && power < BINARY_SUFFIX.length - 1) {
        amount /= 1024n;
        power += 1;
      }
      return `${negative ? '-' : ''}${amount}${BINARY_SUFFIX[power]}`;
    }
    format = 'DecimalSI';
  }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const extra = ((exponent % 3) + 3) % 3;
  mantissa *= pow(10n, extra);
  exponent -= extra;
  let written: string | undefined;
  if (format === 'DecimalExponent') written = exponent === 0 ? '' : `e${exponent}`;
  else written = Object.entries(DECIMAL_SUFFIX).find(([, e]) => e === exponent)?.[0];
  if (written === undefined) return text;
  return `${negative ? '-' : ''}${mantissa}${written}`;
}

function canonicalContainer(container: JsonObject): void {
  for (const variable of objects(container.env)) {
    // EnvVar.Value is `string ...,omitempty`.
    if (variable.value === '') delete variable.value;
  }
  for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const probe = container[name];
    if (!isPlainObject(probe)) continue;
    for (const field of PROBE_INTS) if (probe[field] === 0) delete probe[field];
  }
  const resources = container.resources;
  if (!isPlainObject(resources)) return;
  for (const list of [resources.requests, resources.limits]) {
    if (!isPlainObject(list)) continue;
    for (const [name, amount] of Object.entries(list))
      if (typeof amount === 'string') list[name] = canonicalQuantity(amount);
  }
}

/**
 * Writes an object (in place) as a real API server stores it: in its pod spec, an env
 * variable's empty `value` and a probe's zero `initialDelaySeconds` (and the other int32 probe
 * fields, then defaulted) are left out, and resource quantities take their canonical form.
 */
export function canonicalize(object: { kind?: unknown }): void {
  const path = typeof object.kind === 'string' ? POD_SPEC[object.kind] : undefined;
  const spec = path ? pathValue(object, ...path) : undefined;
  if (!isPlainObject(spec)) return;
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers])
    for (const container of objects(list)) canonicalContainer(container);
}
