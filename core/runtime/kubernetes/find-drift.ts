import type { KubernetesObject } from '@kubernetes/client-node';
import { quantityValue } from '../../config/index.js';

/**
 * What of a workload's objects no longer is as Slipway applied it, a sentence for each object
 * that drifted; undefined when nothing did. Every label, annotation and spec field Slipway
 * renders must be in the live object with the same value: a field someone changed (`kubectl
 * scale`, `kubectl set image`, an edit) or an object someone deleted is drift. What others added
 * beside Slipway's fields (defaults, a sidecar, a label) is not: server-side apply leaves it
 * alone too. Nor is the form the API server stores a value in: an empty or zero field it left
 * out, a quantity it rewrote.
 *
 * @example
 * findDrift(renderObjects(workload), (object) => live.get(keyOf(object)))
 * // "Deployment worker: spec.replicas is 0, git says 2"
 */
export function findDrift(
  rendered: KubernetesObject[],
  live: (object: KubernetesObject) => KubernetesObject | undefined,
): string | undefined {
  // One sentence per object that drifted (its first difference), so that what someone changed
  // in the Service is not hidden behind what they changed in the Deployment.
  const drifted: string[] = [];
  for (const object of rendered) {
    const name = `${object.kind} ${object.metadata?.name}`;
    const found = live(object);
    if (!found) {
      drifted.push(`${name} is missing`);
      continue;
    }
    const wanted = object as Record<string, unknown>;
    const have = found as Record<string, unknown>;
    const difference =
      differs(object.metadata?.labels, found.metadata?.labels, 'metadata.labels') ??
      differs(object.metadata?.annotations, found.metadata?.annotations, 'metadata.annotations') ??
      differs(wanted.spec, have.spec, 'spec');
    if (difference) drifted.push(`${name}: ${difference}`);
  }
  return drifted.length > 0 ? drifted.join('; ') : undefined;
}

/** Whether two forms of an object have the same labels, annotations and spec. */
export function sameContent(a: KubernetesObject, b: KubernetesObject): boolean {
  const content = (object: KubernetesObject) => ({
    labels: object.metadata?.labels,
    annotations: object.metadata?.annotations,
    spec: (object as { spec?: unknown }).spec,
  });
  return deepEqual(content(a), content(b));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const other = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return (
    keys.length === other.length &&
    keys.every((key) =>
      deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

/** The first place where `have` lacks what `want` holds, as "path is X, git says Y". */
function differs(want: unknown, have: unknown, path: string): string | undefined {
  if (want === undefined) return undefined;
  if (have === undefined || have === null) {
    // The API server leaves out `omitempty` fields at their zero value (an env variable's
    // value "", a probe's initialDelaySeconds 0): absent is what Slipway rendered.
    if (want === '' || want === 0 || (Array.isArray(want) && want.length === 0)) return undefined;
    return hidden(path) ? `${path} is missing` : `${path} is missing, git says ${show(want)}`;
  }
  if (Array.isArray(want)) return arrayDiffers(want, have, path);
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || Array.isArray(have)) return mismatch(path, have, want);
    for (const [key, value] of Object.entries(want)) {
      const found = differs(value, (have as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  if (want === have) return undefined;
  if (/\.resources\.(requests|limits)\./.test(path) && sameQuantity(want, have)) return undefined;
  return mismatch(path, have, want);
}

/**
 * Lists of named items (containers, env, ports) match by name, as the API server merges them;
 * others by position, and a list of plain values must be equal.
 */
function arrayDiffers(want: unknown[], have: unknown, path: string): string | undefined {
  if (!Array.isArray(have)) return mismatch(path, have, want);
  const named = want.every((item) => typeof nameOf(item) === 'string');
  if (named) {
    for (const item of want) {
      const name = nameOf(item) as string;
      const found = have.find((other) => nameOf(other) === name);
      const difference = differs(item, found, `${path}[${name}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  if (want.some((item) => typeof item === 'object' && item !== null)) {
    for (const [i, item] of want.entries()) {
      const difference = differs(item, have[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  return JSON.stringify(want) === JSON.stringify(have) ? undefined : mismatch(path, have, want);
}

function nameOf(item: unknown): unknown {
  return typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : undefined;
}

function mismatch(path: string, have: unknown, want: unknown): string {
  if (hidden(path)) return `${path} is not what git says`;
  return `${path} is ${show(have)}, git says ${show(want)}`;
}

/** Environment values may be secrets (someone's, set by hand): their drift is named, not shown. */
function hidden(path: string): boolean {
  return /\.env(\[|$)/.test(path);
}

/** A value as a drift sentence shows it: JSON, environment values masked, cut at 80 characters. */
function show(value: unknown): string {
  const text = JSON.stringify(value, maskEnvironment) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A JSON.stringify replacer that shows `env` lists' names and masks their values (see `hidden`). */
function maskEnvironment(key: string, value: unknown): unknown {
  if (key !== 'env' || !Array.isArray(value)) return value;
  return value.map((item) =>
    typeof item === 'object' && item !== null && 'value' in item ? { ...item, value: '***' } : item,
  );
}

/** Whether two resource quantities are the same amount: the API server writes "0.5" as "500m". */
function sameQuantity(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = quantityValue(a);
  const y = quantityValue(b);
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= Math.abs(x) * 1e-12;
}
