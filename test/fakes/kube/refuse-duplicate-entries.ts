import { isPlainObject, type StoredObject } from './kube-object.js';
import { isAtomicMap, itemKey, listMapKeys } from './list-merge-keys.js';
import { StatusError } from './status-error.js';

/**
 * An error the API server did not turn into a Status itself: `ErrorToAPIStatus` answers 500 with
 * its text and no reason (StatusReasonUnknown is "", left out of the JSON).
 */
class UnknownError extends StatusError {
  constructor(message: string) {
    super(500, '', message);
  }

  override toStatus() {
    const status = super.toStatus();
    delete status.reason;
    return status;
  }
}

/** `[name="FOO"]`, `[containerPort=93,protocol="TCP"]`: how structured-merge-diff prints a key. */
function printKey(item: unknown, keys: readonly string[]): string {
  const key = itemKey(item, keys);
  const fields = keys
    .filter((k) => key[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(key[k])}`);
  return `[${fields.join(',')}]`;
}

function findDuplicates(value: unknown, names: string[], path: string, errors: string[]): void {
  if (isPlainObject(value)) {
    if (isAtomicMap(names)) return;
    for (const [field, child] of Object.entries(value))
      findDuplicates(child, [...names, field], `${path}.${field}`, errors);
    return;
  }
  const keys = Array.isArray(value) ? listMapKeys(names) : undefined;
  if (!keys || !Array.isArray(value)) return;
  const seen = new Set<string>();
  for (const item of value) {
    const key = printKey(item, keys);
    if (seen.has(key)) errors.push(`${path}: duplicate entries for key ${key}`);
    seen.add(key);
    findDuplicates(item, names, `${path}${key}`, errors);
  }
}

/**
 * Refuses an apply body whose keyed lists name an item twice (two env variables `FOO`, two
 * container ports 80/TCP), as the API server does since structured-merge-diff v4.4
 * (kubernetes/kubernetes#121575): a 500 whose message says which list and which key. Objects
 * written by create or update may hold duplicates; only an applied configuration may not.
 */
export function refuseDuplicateEntries(applied: StoredObject): void {
  const errors: string[] = [];
  const { apiVersion = '', kind = '', metadata } = applied;
  const { apiVersion: _a, kind: _k, ...fields } = applied;
  findDuplicates(fields, [], '', errors);
  if (errors.length === 0) return;
  const slash = apiVersion.lastIndexOf('/');
  const gvk = `${apiVersion.slice(0, Math.max(slash, 0))}/${apiVersion.slice(slash + 1)}, Kind=${kind}`;
  const object = `${metadata.namespace ?? ''}/${metadata.name ?? ''}; ${gvk}`;
  // One error stands alone; several are listed, as ValidationErrors.Error() prints them.
  const text = errors.length === 1 ? errors[0] : ['errors:', ...errors].join('\n  ');
  throw new UnknownError(`failed to create typed patch object (${object}): ${text}`);
}
