import { applyDefaults } from './apply-defaults.js';
import { immutableFieldErrors } from './immutable-fields.js';
import { deepCopy, deepEqual, randomSuffix, type StoredObject } from './kube-object.js';
import { recordUpdate } from './managed-fields.js';
import type { ObjectStore } from './object-store.js';
import { allocateServiceFields, prepareForCreate } from './prepare-for-create.js';
import { apiVersionOf, type ResourceDef, resourceByPlural } from './resource-registry.js';
import {
  alreadyExists,
  conflict,
  type FieldError,
  forbidden,
  invalid,
  notFound,
} from './status-error.js';
import { validateObject } from './validate-object.js';

export interface WriteOptions {
  /** `?dryRun=All`: everything but storing. */
  dryRun?: boolean;
  /** The field manager of an Update (ignored when `applied`: server-side apply set managedFields). */
  manager: string;
  /** `status` or `scale`: what of the object the write may change. */
  subresource?: 'status' | 'scale' | undefined;
  /** managedFields were worked out by server-side apply already. */
  applied?: boolean;
  /** A controller's write: no validation (the scheduler binding a pod, a kubelet's status). */
  system?: boolean;
}

const NAMESPACES = resourceByPlural('namespaces');

/** NamespaceLifecycle admission: no new objects in a missing or terminating namespace. */
function admitNamespace(store: ObjectStore, resource: ResourceDef, object: StoredObject): void {
  if (!resource.namespaced) return;
  const namespace = object.metadata.namespace ?? '';
  const found = store.peek('namespaces', undefined, namespace);
  if (!found) throw notFound(NAMESPACES, namespace);
  if (found.metadata.deletionTimestamp) {
    const error = forbidden(
      resource,
      object.metadata.name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
    if (error.details)
      error.details.causes = [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ];
    throw error;
  }
}

function failIfInvalid(resource: ResourceDef, object: StoredObject, errors: FieldError[]): void {
  if (errors.length > 0)
    throw invalid(resource, object.metadata.name ?? object.metadata.generateName ?? '', errors);
}

/** Everything of an object but metadata and status: what bumps metadata.generation. */
function specPart(object: StoredObject): unknown {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}

/**
 * Creates an object as a real API server does: name generation, defaulting, field manager,
 * create strategy, NamespaceLifecycle admission, validation (422), AlreadyExists (409).
 * Answers the stored object (not stored under dryRun).
 */
export function createObject(
  store: ObjectStore,
  resource: ResourceDef,
  input: StoredObject,
  options: WriteOptions,
): StoredObject {
  const object = deepCopy(input);
  const now = new Date();
  object.apiVersion = apiVersionOf(resource);
  object.kind = resource.kind;
  if (!object.metadata.name && object.metadata.generateName)
    object.metadata.name = `${object.metadata.generateName}${randomSuffix()}`;
  if (!resource.namespaced) delete object.metadata.namespace;
  applyDefaults(resource.plural, object);
  if (!options.applied) {
    delete object.metadata.managedFields;
    recordUpdate(
      undefined,
      object,
      { manager: options.manager, apiVersion: object.apiVersion },
      now,
    );
  }
  const prepared = prepareForCreate(resource, object, store, now);
  admitNamespace(store, resource, object);
  if (!options.system)
    failIfInvalid(resource, object, [...validateObject(resource, object), ...prepared]);
  const name = object.metadata.name ?? '';
  if (store.peek(resource.plural, object.metadata.namespace, name))
    throw alreadyExists(resource, name);
  if (options.dryRun) return object;
  return store.create(resource.plural, object);
}

/**
 * Stores a new version of an existing object (PUT, every patch, apply, a subresource write):
 * resourceVersion precondition (409), server-owned metadata kept, status or spec taken as the
 * subresource decides, defaults, field manager, generation, validation and immutable fields
 * (422). A write that changes nothing stores nothing and keeps the resourceVersion.
 */
export function updateObject(
  store: ObjectStore,
  resource: ResourceDef,
  before: StoredObject,
  input: StoredObject,
  options: WriteOptions,
): StoredObject {
  const name = before.metadata.name ?? '';
  const wanted = input.metadata?.resourceVersion;
  if (wanted !== undefined && wanted !== '' && wanted !== before.metadata.resourceVersion)
    throw conflict(resource, name);
  // An update naming another uid is about another object of the name (deleted and made anew).
  const uid = input.metadata?.uid;
  if (uid && uid !== before.metadata.uid) {
    throw conflict(
      resource,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${before.metadata.uid}`,
    );
  }
  const now = new Date();
  let after: StoredObject;
  if (options.subresource === 'status') {
    after = deepCopy(before);
    after.status = deepCopy(input.status);
    if (after.status === undefined) delete after.status;
  } else if (options.subresource === 'scale') {
    after = deepCopy(before);
    after.spec = { ...after.spec, replicas: input.spec?.replicas ?? null };
  } else {
    after = deepCopy(input);
    // Clients cannot write status through the main resource; controllers (namespace phase) may.
    if (!options.system) {
      if (before.status === undefined) delete after.status;
      else after.status = deepCopy(before.status);
    }
  }
  // Controllers (the garbage collector, a kubelet) may mark deletion; clients may not.
  const serverOwned = ['uid', 'creationTimestamp', 'generation', 'name', 'namespace'] as const;
  const deletion = options.system
    ? []
    : (['deletionTimestamp', 'deletionGracePeriodSeconds'] as const);
  for (const field of [...serverOwned, ...deletion]) {
    const kept = before.metadata[field];
    if (kept === undefined) delete after.metadata[field];
    else after.metadata[field] = kept as never;
  }
  after.metadata.resourceVersion = before.metadata.resourceVersion;
  after.apiVersion = before.apiVersion;
  after.kind = before.kind;
  applyDefaults(resource.plural, after);
  if (resource.plural === 'services') allocateServiceFields(store, after, before);
  if (options.applied) {
    after.metadata.managedFields = input.metadata.managedFields;
  } else {
    after.metadata.managedFields = before.metadata.managedFields;
    recordUpdate(
      before,
      after,
      {
        manager: options.manager,
        apiVersion: apiVersionOf(resource),
        subresource: options.subresource,
      },
      now,
    );
  }
  if (resource.hasGeneration && !deepEqual(specPart(before), specPart(after)))
    after.metadata.generation = (before.metadata.generation ?? 0) + 1;
  if (!options.system)
    failIfInvalid(resource, after, [
      ...validateObject(resource, after),
      ...immutableFieldErrors(resource.plural, before, after),
    ]);
  if (deepEqual(before, after) || options.dryRun) return after;
  const finalized =
    (after.metadata.finalizers ?? []).length === 0 &&
    (after.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  if (after.metadata.deletionTimestamp && finalized && resource.plural !== 'namespaces') {
    return store.delete(resource.plural, after.metadata.namespace, name) ?? after;
  }
  return store.update(resource.plural, after);
}
