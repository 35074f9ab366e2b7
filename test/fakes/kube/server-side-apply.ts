import { canonicalize } from './canonical-form.js';
import {
  describePath,
  fieldSetOf,
  isItemKeyField,
  ownsWithin,
  removeAt,
  splitPath,
  valueAt,
} from './field-set.js';
import { deepCopy, deepEqual, isPlainObject, type StoredObject } from './kube-object.js';
import { isAtomicMap, listMapKeys, sameKey } from './list-merge-keys.js';
import {
  decodeManagers,
  encodeManagers,
  type Manager,
  managerEntry,
  pruneToObject,
} from './managed-fields.js';
import { refuseDuplicateEntries } from './refuse-duplicate-entries.js';
import { type StatusCause, StatusError } from './status-error.js';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  now: Date;
}

/** Merges an applied configuration into the live object: maps field by field, keyed lists item by item. */
function mergeApplied(live: unknown, applied: unknown, names: string[]): unknown {
  if (isPlainObject(applied) && isPlainObject(live) && !isAtomicMap(names)) {
    const out: Record<string, unknown> = { ...live };
    for (const [field, value] of Object.entries(applied)) {
      if (value === null) delete out[field];
      else out[field] = mergeApplied(live[field], value, [...names, field]);
    }
    return out;
  }
  const keys = listMapKeys(names);
  if (keys && Array.isArray(applied) && Array.isArray(live)) {
    const out = [...live];
    for (const item of applied) {
      const index = out.findIndex((existing) => sameKey(existing, item, keys));
      if (index >= 0) out[index] = mergeApplied(out[index], item, names);
      else out.push(deepCopy(item));
    }
    return out;
  }
  return deepCopy(applied);
}

function printManager(m: Manager): string {
  const name = m.subresource
    ? `"${m.manager}" with subresource "${m.subresource}"`
    : `"${m.manager}"`;
  return m.operation === 'Update' ? `${name} using ${m.apiVersion}` : name;
}

function conflictError(conflicts: { manager: Manager; path: string }[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: describePath(c.path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(first.manager)}: ${describePath(first.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const name = printManager(c.manager);
      byManager.set(name, [...(byManager.get(name) ?? []), describePath(c.path)]);
    }
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((name) => [
        `conflicts with ${name}:`,
        ...(byManager.get(name) ?? []).map((p) => `- ${p}`),
      ]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Server-side apply of `applied` (a partial object) onto `live` (undefined: create) for one field
 * manager, as structured-merge-diff does it for the built-in kinds: the applier owns exactly the
 * fields it sets; a field another manager owns with a different value is a 409 conflict unless
 * `force` (which takes the field over); fields the applier set before and no longer sets are
 * removed unless another manager still owns them. A keyed list naming an item twice is a 500, as
 * in `refuseDuplicateEntries`. Status is ignored (the main resource resets it).
 * Answers the merged object with its managedFields; the caller defaults, validates and stores it.
 */
export function serverSideApply(
  live: StoredObject | undefined,
  applied: StoredObject,
  options: ApplyOptions,
): StoredObject {
  refuseDuplicateEntries(applied);
  const config = deepCopy(applied);
  delete config.status;
  // What the applier sets is read as the server stores it: an empty env value is no field, and
  // "0.5" the same amount as the live "500m", so applying the same manifest again is a no-op.
  // (A real server may still list such an empty field in the applier's managedFields.)
  canonicalize(config);
  const base: StoredObject = live
    ? deepCopy(live)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  const merged = mergeApplied(base, config, []) as StoredObject;
  merged.status = base.status;
  if (merged.status === undefined) delete merged.status;

  const managers = decodeManagers(live);
  const mine = managerEntry(managers, {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: config.apiVersion,
  });
  const others = managers.filter((m) => m !== mine);
  const previous = new Set(mine.fields);
  const applying = fieldSetOf(config);

  const conflicts: { manager: Manager; path: string }[] = [];
  for (const path of applying) {
    if (splitPath(path).at(-1)?.startsWith('k:')) continue;
    const before = valueAt(live, path);
    if (!before.found || deepEqual(before.value, valueAt(merged, path).value)) continue;
    for (const other of others)
      if (other.fields.has(path)) conflicts.push({ manager: other, path });
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);
  for (const { manager, path } of conflicts) manager.fields.delete(path);

  // Fields this manager applied before and no longer applies go, unless someone else holds them.
  // Parents before children: a list item goes whole (it is found by its key fields, so they must
  // still be there), and an item someone else keeps keeps the key fields that name it.
  const dropped = [...previous].filter((p) => !applying.has(p)).sort((a, b) => a.length - b.length);
  for (const path of dropped) {
    if (isItemKeyField(path)) continue;
    if (!others.some((m) => ownsWithin(m.fields, path))) removeAt(merged, path);
  }

  const fieldsChanged =
    applying.size !== previous.size || [...applying].some((p) => !previous.has(p));
  mine.fields = applying;
  mine.apiVersion = config.apiVersion;
  // The entry's time moves only when this apply changed something, so a no-op apply stays a no-op.
  mine.touched ||=
    fieldsChanged ||
    conflicts.length > 0 ||
    !deepEqual(withoutManagedFields(live), withoutManagedFields(merged));
  pruneToObject(managers, merged);
  merged.metadata.managedFields = encodeManagers(managers, options.now);
  return merged;
}

function withoutManagedFields(object: StoredObject | undefined): unknown {
  if (!object) return undefined;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}
