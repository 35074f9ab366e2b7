import { type FieldSet, fieldSetOf, fromFieldsV1, toFieldsV1, valueAt } from './field-set.js';
import { deepEqual, kubeTime, type ManagedFieldsEntry, type StoredObject } from './kube-object.js';

/** A managedFields entry with its field set decoded, while a write is being worked out. */
export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time: string;
  fields: FieldSet;
  /** Whether this write changed the manager's fields (its time is then renewed). */
  touched: boolean;
}

export function decodeManagers(object: StoredObject | undefined): Manager[] {
  return (object?.metadata.managedFields ?? []).map((entry) => {
    const manager: Manager = {
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      time: entry.time,
      fields: fromFieldsV1(entry.fieldsV1),
      touched: false,
    };
    if (entry.subresource) manager.subresource = entry.subresource;
    return manager;
  });
}

export function encodeManagers(managers: Manager[], now: Date): ManagedFieldsEntry[] {
  return managers
    .filter((m) => m.fields.size > 0)
    .map((m) => {
      const entry: ManagedFieldsEntry = {
        manager: m.manager,
        operation: m.operation,
        apiVersion: m.apiVersion,
        time: m.touched ? kubeTime(now) : m.time,
        fieldsType: 'FieldsV1',
        fieldsV1: toFieldsV1(m.fields),
      };
      if (m.subresource) entry.subresource = m.subresource;
      return entry;
    });
}

/**
 * The entry of one manager identity. Appliers are one identity whatever apiVersion they use;
 * updaters are one per apiVersion, as `BuildManagerIdentifier` decides in the API server.
 */
export function managerEntry(
  managers: Manager[],
  identity: {
    manager: string;
    operation: 'Apply' | 'Update';
    apiVersion: string;
    subresource?: string | undefined;
  },
): Manager {
  const found = managers.find(
    (m) =>
      m.manager === identity.manager &&
      m.operation === identity.operation &&
      (m.subresource ?? '') === (identity.subresource ?? '') &&
      (identity.operation === 'Apply' || m.apiVersion === identity.apiVersion),
  );
  if (found) return found;
  const created: Manager = { ...identity, time: '', fields: new Set(), touched: true };
  if (!identity.subresource) delete created.subresource;
  managers.push(created);
  return created;
}

/** Drops from every manager the fields the object no longer has. */
export function pruneToObject(managers: Manager[], object: unknown): void {
  for (const m of managers) {
    for (const path of [...m.fields]) {
      if (!valueAt(object, path).found) m.fields.delete(path);
    }
  }
}

/**
 * Records a non-apply write (create, update, patch, a controller's status write): the manager
 * takes every field the write added or changed, from whoever had it, as the API server's field
 * manager does for `operation: Update`.
 */
export function recordUpdate(
  before: StoredObject | undefined,
  after: StoredObject,
  identity: { manager: string; apiVersion: string; subresource?: string | undefined },
  now: Date,
): void {
  const managers = decodeManagers(before);
  const changed: string[] = [];
  // Status is reset on the main resource, so only status writes own status fields.
  const { status, ...main } = after;
  for (const path of fieldSetOf(identity.subresource === 'status' ? { status } : main)) {
    const old = valueAt(before, path);
    // A list item counts as changed only when it is new; its fields count one by one.
    const isItem = path.slice(path.lastIndexOf('\n') + 1).startsWith('k:');
    if (!old.found || (!isItem && !deepEqual(old.value, valueAt(after, path).value)))
      changed.push(path);
  }
  if (changed.length > 0) {
    for (const m of managers) {
      for (const path of changed) m.fields.delete(path);
    }
    const mine = managerEntry(managers, { ...identity, operation: 'Update' });
    for (const path of changed) mine.fields.add(path);
    mine.touched = true;
  }
  pruneToObject(managers, after);
  after.metadata.managedFields = encodeManagers(managers, now);
}
