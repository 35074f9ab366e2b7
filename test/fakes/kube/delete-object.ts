import { deepCopy, kubeTime, pathValue, type StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { RESOURCES, type ResourceDef } from './resource-registry.js';
import { conflict, forbidden, notFound, StatusError } from './status-error.js';
import { updateObject } from './write-object.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: string | undefined;
  gracePeriodSeconds?: number | undefined;
  preconditions?: { uid?: string; resourceVersion?: string } | undefined;
}

export interface DeleteResult {
  /** The object as deleted, or as it now waits for deletion (with deletionTimestamp). */
  object: StoredObject;
  /** Still stored: a pod shutting down, a namespace terminating, finalizers (foregroundDeletion) pending. */
  pending: boolean;
}

const GC_MANAGER = 'kube-controller-manager';
const POLICIES: PropagationPolicy[] = ['Orphan', 'Background', 'Foreground'];

/** Objects whose ownerReferences name `owner`. */
export function dependentsOf(
  store: ObjectStore,
  owner: Readonly<StoredObject>,
): { resource: ResourceDef; object: StoredObject }[] {
  const out: { resource: ResourceDef; object: StoredObject }[] = [];
  for (const resource of RESOURCES) {
    for (const object of store.ownedBy(resource.plural, owner.metadata.uid ?? '')) {
      if (object.metadata.namespace === owner.metadata.namespace)
        out.push({ resource, object: deepCopy(object as StoredObject) });
    }
  }
  return out;
}

function markDeleting(
  store: ObjectStore,
  resource: ResourceDef,
  object: StoredObject,
  changes: (o: StoredObject) => void,
): DeleteResult {
  const next = deepCopy(object);
  changes(next);
  return {
    object: updateObject(store, resource, object, next, { manager: GC_MANAGER, system: true }),
    pending: true,
  };
}

/**
 * DELETE as a real API server answers it: preconditions (409), graceful deletion of running
 * pods (deletionTimestamp now, gone once the kubelet confirms), namespaces turning Terminating,
 * `Foreground` holding the owner with the `foregroundDeletion` finalizer until its dependents are
 * gone, `Orphan` releasing dependents, `Background` deleting at once (the garbage collector
 * then removes the dependents).
 */
/** Namespaces a real API server refuses to delete (NamespaceLifecycle admission). */
const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

export function deleteObject(
  store: ObjectStore,
  resource: ResourceDef,
  namespace: string | undefined,
  name: string,
  options: DeleteOptions,
): DeleteResult {
  const found = store.get(resource.plural, namespace, name);
  if (!found) throw notFound(resource, name);
  // NamespaceLifecycle admission: the namespaces the system runs in stay.
  if (resource.plural === 'namespaces' && IMMORTAL_NAMESPACES.includes(name)) {
    throw forbidden(resource, name, 'this namespace may not be deleted');
  }
  const pre = options.preconditions;
  if (pre?.uid && pre.uid !== found.metadata.uid) {
    throw conflict(
      resource,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${found.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== found.metadata.resourceVersion) {
    throw conflict(
      resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${found.metadata.resourceVersion}`,
    );
  }
  const policy = (options.propagationPolicy ?? resource.defaultPropagation) as PropagationPolicy;
  if (!POLICIES.includes(policy)) {
    throw new StatusError(
      422,
      'Invalid',
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const now = new Date();
  const phase = pathValue(found, 'status', 'phase');
  const graceful =
    resource.plural === 'pods' &&
    options.gracePeriodSeconds !== 0 &&
    Boolean(pathValue(found, 'spec', 'nodeName')) &&
    phase !== 'Succeeded' &&
    phase !== 'Failed';
  // The namespace registry refuses a second delete while the first empties the namespace.
  if (resource.plural === 'namespaces' && found.metadata.deletionTimestamp) {
    throw conflict(
      resource,
      name,
      'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    );
  }
  if (options.dryRun) return { object: found, pending: graceful };
  if (
    found.metadata.deletionTimestamp &&
    !(resource.plural === 'pods' && options.gracePeriodSeconds === 0)
  )
    return { object: found, pending: true };

  if (graceful) {
    const grace =
      options.gracePeriodSeconds ??
      Number(pathValue(found, 'spec', 'terminationGracePeriodSeconds') ?? 30);
    return markDeleting(store, resource, found, (pod) => {
      pod.metadata.deletionTimestamp = kubeTime(new Date(now.getTime() + grace * 1000));
      pod.metadata.deletionGracePeriodSeconds = grace;
    });
  }
  if (resource.plural === 'namespaces') {
    return markDeleting(store, resource, found, (ns) => {
      ns.metadata.deletionTimestamp = kubeTime(now);
      ns.status = { ...ns.status, phase: 'Terminating' };
    });
  }
  if (policy === 'Foreground' || (found.metadata.finalizers ?? []).length > 0) {
    return markDeleting(store, resource, found, (object) => {
      object.metadata.deletionTimestamp = kubeTime(now);
      object.metadata.deletionGracePeriodSeconds = 0;
      if (policy === 'Foreground')
        object.metadata.finalizers = [
          ...new Set([...(object.metadata.finalizers ?? []), 'foregroundDeletion']),
        ];
    });
  }
  if (policy === 'Orphan') {
    for (const dependent of dependentsOf(store, found)) {
      const released = deepCopy(dependent.object);
      released.metadata.ownerReferences = released.metadata.ownerReferences?.filter(
        (ref) => ref.uid !== found.metadata.uid,
      );
      if (released.metadata.ownerReferences?.length === 0) delete released.metadata.ownerReferences;
      updateObject(store, dependent.resource, dependent.object, released, {
        manager: GC_MANAGER,
        system: true,
      });
    }
  }
  const deleted = store.delete(resource.plural, namespace, name);
  return { object: deleted ?? found, pending: false };
}
