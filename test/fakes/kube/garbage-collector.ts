import { deleteObject, dependentsOf } from './delete-object.js';
import { deepCopy, type StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { RESOURCES, type ResourceDef, resourceByPlural } from './resource-registry.js';
import { createObject, updateObject } from './write-object.js';

const NAMESPACES = resourceByPlural('namespaces');
const MANAGER = 'kube-controller-manager';
const ROOT_CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

function tryDelete(
  store: ObjectStore,
  resource: ResourceDef,
  object: Readonly<StoredObject>,
): void {
  const name = object.metadata.name ?? '';
  if (
    object.metadata.deletionTimestamp ||
    !store.peek(resource.plural, object.metadata.namespace, name)
  )
    return;
  deleteObject(store, resource, object.metadata.namespace, name, {
    propagationPolicy: 'Background',
  });
}

/**
 * The garbage collector and the namespace controller: deletes objects whose owners are all gone
 * (Background propagation), finishes Foreground deletions once dependents are gone, empties
 * terminating namespaces and then removes them, and gives every active namespace its `default`
 * ServiceAccount and `kube-root-ca.crt` ConfigMap.
 */
export class GarbageCollector {
  constructor(private readonly store: ObjectStore) {}

  /** Deletes the dependents of the (gone) owner `uid` that have no other owner left. */
  collectOrphansOf(uid: string): void {
    if (this.store.hasUid(uid)) return;
    for (const resource of RESOURCES) {
      for (const object of this.store.ownedBy(resource.plural, uid)) {
        const refs = object.metadata.ownerReferences ?? [];
        if (refs.every((ref) => !this.store.hasUid(ref.uid)))
          tryDelete(this.store, resource, object);
      }
    }
  }

  /** An owner deleted with propagationPolicy=Foreground goes once its dependents have gone. */
  finishForeground(resource: ResourceDef, owner: Readonly<StoredObject>): void {
    if (
      !owner.metadata.deletionTimestamp ||
      !owner.metadata.finalizers?.includes('foregroundDeletion')
    )
      return;
    const dependents = dependentsOf(this.store, owner);
    for (const d of dependents) tryDelete(this.store, d.resource, d.object);
    if (dependents.length > 0) return;
    const released = deepCopy(owner) as StoredObject;
    released.metadata.finalizers = released.metadata.finalizers?.filter(
      (f) => f !== 'foregroundDeletion',
    );
    updateObject(this.store, resource, owner as StoredObject, released, {
      manager: MANAGER,
      system: true,
    });
  }

  /** A terminating namespace is emptied, then removed; an active one is furnished. */
  syncNamespace(namespace: Readonly<StoredObject>): void {
    const name = namespace.metadata.name ?? '';
    if (!namespace.metadata.deletionTimestamp) {
      this.furnish(name);
      return;
    }
    let remaining = 0;
    for (const resource of RESOURCES) {
      if (!resource.namespaced) continue;
      for (const object of this.store.scan(resource.plural, name)) {
        remaining += 1;
        tryDelete(this.store, resource, object);
      }
    }
    if (remaining === 0) this.store.delete(NAMESPACES.plural, undefined, name);
  }

  private furnish(namespace: string): void {
    if (!this.store.peek('serviceaccounts', namespace, 'default')) {
      const account = {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace },
      };
      createObject(this.store, resourceByPlural('serviceaccounts'), account, {
        manager: MANAGER,
        system: true,
      });
    }
    if (!this.store.peek('configmaps', namespace, 'kube-root-ca.crt')) {
      const metadata = {
        name: 'kube-root-ca.crt',
        namespace,
        annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
      };
      const configMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata,
        data: { 'ca.crt': ROOT_CA },
      };
      createObject(this.store, resourceByPlural('configmaps'), configMap, {
        manager: MANAGER,
        system: true,
      });
    }
  }
}
