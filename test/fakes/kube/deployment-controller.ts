import { createHash } from 'node:crypto';
import { deploymentStatus } from './deployment-status.js';
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

const DEPLOYMENTS = resourceByPlural('deployments');
const REPLICASETS = resourceByPlural('replicasets');
const MANAGER = 'kube-controller-manager';
const REVISION = 'deployment.kubernetes.io/revision';

/** JSON with sorted keys, so equal templates hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** `pod-template-hash`: 10 hex characters of the pod template. */
function templateHash(template: unknown): string {
  return createHash('sha256').update(canonical(template)).digest('hex').slice(0, 10);
}

function revisionOf(rs: Readonly<StoredObject>): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0);
}

/**
 * The Deployment controller: one ReplicaSet per pod template (`<deployment>-<hash>`), the new
 * one scaled to `spec.replicas` at once and the old ones to zero once the new pods are all
 * available (all at once under Recreate), and its status (see deployment-status.ts).
 */
export class DeploymentController {
  private readonly progress = new Map<string, { key: string; at: number }>();

  constructor(private readonly store: ObjectStore) {}

  private owned(deployment: StoredObject): Readonly<StoredObject>[] {
    const uid = deployment.metadata.uid ?? '';
    return this.store
      .ownedBy('replicasets', uid)
      .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid));
  }

  private scale(rs: Readonly<StoredObject>, replicas: number): void {
    if (pathValue(rs, 'spec', 'replicas') === replicas) return;
    const next = deepCopy(rs) as StoredObject;
    next.spec = { ...next.spec, replicas };
    updateObject(this.store, REPLICASETS, rs as StoredObject, next, {
      manager: MANAGER,
      system: true,
    });
  }

  /** Brings one Deployment up to date; answers when its progress deadline falls. */
  sync(deployment: StoredObject, now: number): number {
    const desired = Number(pathValue(deployment, 'spec', 'replicas') ?? 1);
    const template = pathValue(deployment, 'spec', 'template');
    const hash = templateHash(template);
    const recreate = pathValue(deployment, 'spec', 'strategy', 'type') === 'Recreate';
    let replicaSets = this.owned(deployment);
    let newRs = replicaSets.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const old = replicaSets.filter((rs) => rs !== newRs);
    const oldPods = old.reduce((n, rs) => n + livePods(this.store, rs).length, 0);
    let created = false;
    if (pathValue(deployment, 'spec', 'paused') !== true) {
      const revision =
        Math.max(0, ...replicaSets.map(revisionOf)) +
        (newRs && revisionOf(newRs) === Math.max(0, ...replicaSets.map(revisionOf)) ? 0 : 1);
      const target = recreate && oldPods > 0 ? 0 : desired;
      if (!newRs) {
        newRs = this.createReplicaSet(deployment, hash, target, revision);
        created = true;
      } else {
        this.scale(newRs, target);
        if (revisionOf(newRs) !== revision) {
          const bumped = deepCopy(newRs) as StoredObject;
          bumped.metadata.annotations = {
            ...bumped.metadata.annotations,
            [REVISION]: String(revision),
          };
          updateObject(this.store, REPLICASETS, newRs as StoredObject, bumped, {
            manager: MANAGER,
            system: true,
          });
        }
      }
      const newReady = livePods(this.store, newRs).filter(isPodReady).length;
      if (recreate || newReady >= desired) for (const rs of old) this.scale(rs, 0);
      const annotations = { ...deployment.metadata.annotations, [REVISION]: String(revision) };
      if (!deepEqual(annotations, deployment.metadata.annotations)) {
        const annotated = deepCopy(deployment);
        annotated.metadata.annotations = annotations;
        deployment = updateObject(this.store, DEPLOYMENTS, deployment, annotated, {
          manager: MANAGER,
          system: true,
        });
      }
    }
    replicaSets = this.owned(deployment);
    return this.writeStatus(deployment, replicaSets, newRs, created, now);
  }

  private createReplicaSet(
    deployment: StoredObject,
    hash: string,
    replicas: number,
    revision: number,
  ): StoredObject {
    const template = deepCopy(pathValue(deployment, 'spec', 'template')) as JsonObject;
    const templateMeta = isPlainObject(template.metadata) ? template.metadata : {};
    const labels = {
      ...(isPlainObject(templateMeta.labels) ? templateMeta.labels : {}),
      'pod-template-hash': hash,
    };
    template.metadata = { ...templateMeta, labels };
    const selector = deepCopy(pathValue(deployment, 'spec', 'selector')) as JsonObject;
    selector.matchLabels = {
      ...(isPlainObject(selector.matchLabels) ? selector.matchLabels : {}),
      'pod-template-hash': hash,
    };
    const rs: StoredObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${deployment.metadata.name ?? ''}-${hash}`,
        namespace: deployment.metadata.namespace,
        labels,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
          [REVISION]: String(revision),
        },
        ownerReferences: [ownerReference(deployment)],
      },
      spec: {
        replicas,
        minReadySeconds: pathValue(deployment, 'spec', 'minReadySeconds') ?? 0,
        selector,
        template,
      },
    };
    return createObject(this.store, REPLICASETS, rs, { manager: MANAGER, system: true });
  }

  private writeStatus(
    deployment: StoredObject,
    replicaSets: Readonly<StoredObject>[],
    newRs: Readonly<StoredObject> | undefined,
    created: boolean,
    now: number,
  ): number {
    const pods = replicaSets.flatMap((rs) => livePods(this.store, rs));
    const updated = newRs ? livePods(this.store, newRs).length : 0;
    const ready = pods.filter(isPodReady).length;
    const total = replicaSets.reduce(
      (n, rs) => n + Number(pathValue(rs, 'spec', 'replicas') ?? 0),
      0,
    );
    const uid = deployment.metadata.uid ?? '';
    const key = JSON.stringify([pods.length, updated, ready, total, newRs?.metadata.name]);
    const seen = this.progress.get(uid);
    if (!seen || seen.key !== key) this.progress.set(uid, { key, at: now });
    const { status, deadline } = deploymentStatus(
      deployment,
      {
        desired: Number(pathValue(deployment, 'spec', 'replicas') ?? 1),
        pods: pods.length,
        updated,
        ready,
        total,
        newReplicaSet: newRs?.metadata.name ?? '',
        created,
        lastProgress: this.progress.get(uid)?.at ?? now,
        progressed: seen?.key !== key,
      },
      now,
    );
    if (!deepEqual(status, deployment.status)) {
      const next = { ...deployment, status };
      updateObject(this.store, DEPLOYMENTS, deployment, next, {
        manager: MANAGER,
        subresource: 'status',
        system: true,
      });
    }
    return deadline;
  }
}
