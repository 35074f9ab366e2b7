import { type JsonObject, kubeTime, pathValue, type StoredObject } from './kube-object.js';

/** What the Deployment controller counted, from which a status follows. */
export interface RolloutCounts {
  desired: number;
  /** Live pods of all the Deployment's ReplicaSets. */
  pods: number;
  /** Live pods of the current template's ReplicaSet. */
  updated: number;
  ready: number;
  /** Sum of the ReplicaSets' spec.replicas. */
  total: number;
  newReplicaSet: string;
  /** The new ReplicaSet was created by this sync. */
  created: boolean;
  /** When the counts last changed (progress, for the progress deadline). */
  lastProgress: number;
  /** The counts changed in this sync. */
  progressed: boolean;
}

/** A percentage or absolute `maxUnavailable`, rounded down as the controller does. */
function maxUnavailable(deployment: StoredObject, replicas: number): number {
  if (pathValue(deployment, 'spec', 'strategy', 'type') === 'Recreate') return 0;
  const raw = pathValue(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable') ?? '25%';
  const value =
    typeof raw === 'string' && raw.endsWith('%')
      ? Math.floor((replicas * Number.parseInt(raw, 10)) / 100)
      : Number(raw);
  return Math.min(Number.isFinite(value) ? value : 0, replicas);
}

/**
 * A Deployment's status as Kubernetes reports it: observedGeneration, the replica counters
 * (all `omitempty`), and the Available and Progressing conditions (NewReplicaSetCreated,
 * ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded), keeping condition times
 * when nothing changed. Also answers when the progress deadline falls (Infinity: no deadline).
 */
export function deploymentStatus(
  deployment: StoredObject,
  counts: RolloutCounts,
  now: number,
): { status: JsonObject; deadline: number } {
  const { desired, pods, updated, ready, total, newReplicaSet: rs } = counts;
  const counters: Record<string, number> = {
    replicas: pods,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, total - ready),
  };
  const status: JsonObject = { observedGeneration: deployment.metadata.generation ?? 1 };
  for (const [k, v] of Object.entries(counters)) if (v !== 0) status[k] = v;

  const complete = updated === desired && pods === desired && ready === desired;
  const deadline =
    counts.lastProgress +
    Number(pathValue(deployment, 'spec', 'progressDeadlineSeconds') ?? 600) * 1000;
  const previous = Array.isArray(deployment.status?.conditions) ? deployment.status.conditions : [];
  const stamp = kubeTime(new Date(now));
  const condition = (type: string, ok: boolean, reason: string, message: string): JsonObject => {
    const value = ok ? 'True' : 'False';
    const before = previous.find((c) => pathValue(c, 'type') === type);
    const same = before !== undefined && pathValue(before, 'status') === value;
    const unchanged =
      same &&
      pathValue(before, 'reason') === reason &&
      pathValue(before, 'message') === message &&
      !(type === 'Progressing' && counts.progressed);
    return {
      type,
      status: value,
      lastUpdateTime: unchanged ? (pathValue(before, 'lastUpdateTime') ?? stamp) : stamp,
      lastTransitionTime: same ? (pathValue(before, 'lastTransitionTime') ?? stamp) : stamp,
      reason,
      message,
    };
  };
  let progressing: JsonObject;
  if (complete)
    progressing = condition(
      'Progressing',
      true,
      'NewReplicaSetAvailable',
      `ReplicaSet "${rs}" has successfully progressed.`,
    );
  else if (now >= deadline)
    progressing = condition(
      'Progressing',
      false,
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rs}" has timed out progressing.`,
    );
  else if (counts.created)
    progressing = condition(
      'Progressing',
      true,
      'NewReplicaSetCreated',
      `Created new replica set "${rs}"`,
    );
  else
    progressing = condition(
      'Progressing',
      true,
      'ReplicaSetUpdated',
      `ReplicaSet "${rs}" is progressing.`,
    );
  const available =
    ready >= desired - maxUnavailable(deployment, desired)
      ? condition(
          'Available',
          true,
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
        )
      : condition(
          'Available',
          false,
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        );
  status.conditions = [available, progressing];
  return { status, deadline: complete || now >= deadline ? Number.POSITIVE_INFINITY : deadline };
}
