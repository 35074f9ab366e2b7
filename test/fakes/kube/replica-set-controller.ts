import { deleteObject } from './delete-object.js';
import {
  deepCopy,
  deepEqual,
  isPlainObject,
  type JsonObject,
  pathValue,
  type StoredObject,
} from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { isPodReady, livePods, ownerReference } from './owned-pods.js';
import { resourceByPlural } from './resource-registry.js';
import { createObject, updateObject } from './write-object.js';

const REPLICASETS = resourceByPlural('replicasets');
const PODS = resourceByPlural('pods');
const MANAGER = 'kube-controller-manager';

/**
 * The ReplicaSet controller: keeps `spec.replicas` pods of the template (named
 * `<replicaset>-<5 chars>`), removing not-ready and newest pods first when scaling down, and
 * reports replicas, fullyLabeledReplicas, readyReplicas and availableReplicas.
 */
export class ReplicaSetController {
  constructor(private readonly store: ObjectStore) {}

  /** Brings one ReplicaSet up to date. */
  sync(rs: StoredObject): void {
    const desired = Number(pathValue(rs, 'spec', 'replicas') ?? 1);
    let pods = livePods(this.store, rs);
    if (pods.length < desired) {
      for (let i = pods.length; i < desired; i++) this.createPod(rs);
    } else if (pods.length > desired) {
      const doomed = [...pods]
        .sort(
          (a, b) =>
            Number(isPodReady(a)) - Number(isPodReady(b)) ||
            String(b.metadata.creationTimestamp).localeCompare(
              String(a.metadata.creationTimestamp),
            ),
        )
        .slice(0, pods.length - desired);
      for (const pod of doomed)
        deleteObject(this.store, PODS, pod.metadata.namespace, pod.metadata.name ?? '', {});
    }
    pods = livePods(this.store, rs);
    const ready = pods.filter(isPodReady).length;
    const status: JsonObject = { replicas: pods.length };
    if (pods.length > 0) status.fullyLabeledReplicas = pods.length;
    if (ready > 0) status.readyReplicas = ready;
    if (ready > 0) status.availableReplicas = ready;
    status.observedGeneration = rs.metadata.generation ?? 1;
    if (!deepEqual(status, rs.status))
      updateObject(
        this.store,
        REPLICASETS,
        rs,
        { ...rs, status },
        { manager: MANAGER, subresource: 'status', system: true },
      );
  }

  private createPod(rs: StoredObject): void {
    const template = pathValue(rs, 'spec', 'template');
    const metadata = deepCopy(
      isPlainObject(template) && isPlainObject(template.metadata) ? template.metadata : {},
    );
    delete metadata.name;
    const pod: StoredObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...metadata,
        generateName: `${rs.metadata.name ?? ''}-`,
        namespace: rs.metadata.namespace,
        ownerReferences: [ownerReference(rs)],
      },
      spec: deepCopy(isPlainObject(template) && isPlainObject(template.spec) ? template.spec : {}),
    };
    createObject(this.store, PODS, pod, { manager: MANAGER, system: true });
  }
}
