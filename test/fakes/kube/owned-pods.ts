import { type OwnerReference, pathValue, type StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';

/** Pods whose controller ownerReference is `owner`. */
export function controlledPods(
  store: ObjectStore,
  owner: Readonly<StoredObject>,
): Readonly<StoredObject>[] {
  return store
    .ownedBy('pods', owner.metadata.uid ?? '')
    .filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid),
    );
}

/** The ownerReference a controller puts on what it creates. */
export function ownerReference(owner: Readonly<StoredObject>): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether a pod's Ready condition is True. */
export function isPodReady(pod: Readonly<StoredObject>): boolean {
  const conditions = pathValue(pod, 'status', 'conditions');
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => pathValue(c, 'type') === 'Ready' && pathValue(c, 'status') === 'True')
  );
}

/** Pods that count for a ReplicaSet: not terminating, not finished. */
export function livePods(
  store: ObjectStore,
  owner: Readonly<StoredObject>,
): Readonly<StoredObject>[] {
  return controlledPods(store, owner).filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      !['Succeeded', 'Failed'].includes(String(pathValue(p, 'status', 'phase'))),
  );
}
