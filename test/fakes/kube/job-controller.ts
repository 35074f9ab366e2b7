import { deleteObject } from './delete-object.js';
import {
  deepCopy,
  deepEqual,
  isPlainObject,
  type JsonObject,
  kubeTime,
  pathValue,
  type StoredObject,
} from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { controlledPods, isPodReady, ownerReference } from './owned-pods.js';
import { resourceByPlural } from './resource-registry.js';
import { createObject, updateObject } from './write-object.js';

const JOBS = resourceByPlural('jobs');
const PODS = resourceByPlural('pods');
const MANAGER = 'kube-controller-manager';
/** Keeps a Job's pod until the Job controller has counted it (batch/v1 since 1.26). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

const isTerminal = (pod: Readonly<StoredObject>) =>
  ['Succeeded', 'Failed'].includes(String(pathValue(pod, 'status', 'phase')));

function condition(type: string, reason: string, message: string, now: string): JsonObject {
  return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
}

/**
 * The Job controller: runs a Job's pods (`parallelism` at a time until `completions` succeed),
 * replaces failed ones until `backoffLimit` is exceeded, honours activeDeadlineSeconds, and
 * writes status as Kubernetes does (startTime, active, ready, succeeded, failed, terminating,
 * completionTime, conditions SuccessCriteriaMet + Complete, or FailureTarget + Failed). Its pods
 * carry the `batch.kubernetes.io/job-tracking` finalizer until they are counted, the Job has
 * finished or is being deleted, or the Job is gone.
 */
export class JobController {
  /** Pods already counted as succeeded or failed, per job uid (pods may be deleted later). */
  private readonly counted = new Map<string, Set<string>>();

  constructor(private readonly store: ObjectStore) {}

  /** Brings one Job up to date; answers when its active deadline falls. */
  sync(job: StoredObject, now: number): number {
    const uid = job.metadata.uid ?? '';
    const status: JsonObject = deepCopy(job.status ?? {});
    const conditions = Array.isArray(status.conditions) ? status.conditions : [];
    if (
      job.metadata.deletionTimestamp ||
      conditions.some(
        (c) =>
          (pathValue(c, 'type') === 'Complete' || pathValue(c, 'type') === 'Failed') &&
          pathValue(c, 'status') === 'True',
      )
    ) {
      // Nothing more will be counted: pods that have stopped or are going may go.
      this.release(
        controlledPods(this.store, job).filter(
          (p) => isTerminal(p) || p.metadata.deletionTimestamp,
        ),
      );
      return Number.POSITIVE_INFINITY;
    }
    if (pathValue(job, 'spec', 'suspend') === true) return Number.POSITIVE_INFINITY;
    const spec = job.spec ?? {};
    const completions = Number(spec.completions ?? 1);
    const parallelism = Number(spec.parallelism ?? 1);
    const backoffLimit = Number(spec.backoffLimit ?? 6);
    const stamp = kubeTime(new Date(now));
    status.startTime ??= stamp;

    const counted = this.counted.get(uid) ?? new Set<string>();
    this.counted.set(uid, counted);
    const pods = controlledPods(this.store, job);
    let succeeded = Number(status.succeeded ?? 0);
    let failed = Number(status.failed ?? 0);
    for (const pod of pods) {
      const phase = pathValue(pod, 'status', 'phase');
      const podUid = pod.metadata.uid ?? '';
      if ((phase === 'Succeeded' || phase === 'Failed') && !counted.has(podUid)) {
        counted.add(podUid);
        if (phase === 'Succeeded') succeeded += 1;
        else failed += 1;
      }
    }
    const active = pods.filter((p) => !p.metadata.deletionTimestamp && !isTerminal(p));
    // With restartPolicy OnFailure a failure is a container restart inside the same pod.
    const restarts = active.reduce((n, p) => n + containerRestarts(p), 0);

    const deadline =
      typeof spec.activeDeadlineSeconds === 'number'
        ? Date.parse(String(status.startTime)) + spec.activeDeadlineSeconds * 1000
        : Number.POSITIVE_INFINITY;
    let verdict: 'complete' | 'failed' | 'deadline' | undefined;
    if (succeeded >= completions) verdict = 'complete';
    else if (failed + restarts > backoffLimit) verdict = 'failed';
    else if (now >= deadline) verdict = 'deadline';

    if (verdict === undefined) {
      const wanted = Math.min(parallelism, completions - succeeded) - active.length;
      for (let i = 0; i < wanted; i++) this.createPod(job);
    } else {
      for (const pod of active)
        deleteObject(this.store, PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
          propagationPolicy: 'Background',
        });
    }
    const running =
      verdict === undefined
        ? Math.max(active.length, Math.min(parallelism, completions - succeeded))
        : 0;
    setCount(status, 'active', running);
    status.ready = verdict === undefined ? active.filter(isPodReady).length : 0;
    setCount(status, 'succeeded', succeeded);
    setCount(
      status,
      'failed',
      failed +
        (verdict === 'failed' && spec.template && restartPolicy(job) === 'OnFailure' ? 1 : 0),
    );
    status.terminating = controlledPods(this.store, job).filter(
      (p) => p.metadata.deletionTimestamp,
    ).length;
    status.uncountedTerminatedPods = {};
    if (verdict === 'complete') {
      status.completionTime = stamp;
      status.conditions = [
        condition(
          'SuccessCriteriaMet',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          stamp,
        ),
        condition(
          'Complete',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          stamp,
        ),
      ];
    } else if (verdict === 'failed' || verdict === 'deadline') {
      const [reason, message] =
        verdict === 'failed'
          ? ['BackoffLimitExceeded', 'Job has reached the specified backoff limit']
          : ['DeadlineExceeded', 'Job was active longer than specified deadline'];
      status.conditions = [
        condition('FailureTarget', reason, message, stamp),
        condition('Failed', reason, message, stamp),
      ];
    }
    if (!deepEqual(status, job.status))
      updateObject(
        this.store,
        JOBS,
        job,
        { ...job, status },
        { manager: MANAGER, subresource: 'status', system: true },
      );
    this.release(controlledPods(this.store, job).filter((p) => counted.has(p.metadata.uid ?? '')));
    return verdict === undefined ? deadline : Number.POSITIVE_INFINITY;
  }

  /** Releases a Job's pod whose Job is gone (deleted, or orphaned the pod); true if it did. */
  releaseOrphan(pod: Readonly<StoredObject>): boolean {
    if (!pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return false;
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
    if (owner && this.store.hasUid(owner.uid)) return false;
    this.release([pod]);
    return true;
  }

  private release(pods: Readonly<StoredObject>[]): void {
    for (const pod of pods) {
      if (!pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) continue;
      const next = deepCopy(pod) as StoredObject;
      next.metadata.finalizers = next.metadata.finalizers?.filter(
        (f) => f !== JOB_TRACKING_FINALIZER,
      );
      if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
      updateObject(this.store, PODS, pod as StoredObject, next, { manager: MANAGER, system: true });
    }
  }

  private createPod(job: StoredObject): void {
    const template = deepCopy(pathValue(job, 'spec', 'template'));
    const metadata =
      isPlainObject(template) && isPlainObject(template.metadata) ? template.metadata : {};
    const pod: StoredObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...metadata,
        generateName: `${job.metadata.name ?? ''}-`,
        namespace: job.metadata.namespace,
        ownerReferences: [ownerReference(job)],
        finalizers: [JOB_TRACKING_FINALIZER],
      },
      spec: isPlainObject(template) && isPlainObject(template.spec) ? template.spec : {},
    };
    delete pod.metadata.name;
    createObject(this.store, PODS, pod, { manager: MANAGER, system: true });
  }
}

function setCount(status: JsonObject, field: string, value: number): void {
  // These counters are `omitempty`: a real Job status shows no `active: 0`.
  if (value > 0) status[field] = value;
  else delete status[field];
}

function restartPolicy(job: StoredObject): string {
  return String(pathValue(job, 'spec', 'template', 'spec', 'restartPolicy') ?? 'Never');
}

function containerRestarts(pod: Readonly<StoredObject>): number {
  const statuses = pathValue(pod, 'status', 'containerStatuses');
  return (Array.isArray(statuses) ? statuses : []).reduce(
    (n: number, s) => n + Number(pathValue(s, 'restartCount') ?? 0),
    0,
  );
}
