import { DeploymentController } from './deployment-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController } from './job-controller.js';
import type { StoredObject } from './kube-object.js';
import { Kubelet } from './kubelet.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import type { PodLogBook } from './pod-log-book.js';
import { ReplicaSetController } from './replica-set-controller.js';
import { RESOURCES, resourceByKind, resourceByPlural } from './resource-registry.js';

export interface ControllerOptions {
  /** How long a pod stays Pending before Running. Default 20 ms. */
  podStartMs: number;
  /** Default run time of a Job's pod when its container has no KUBE_FAKE_DURATION_MS env. Default 50 ms. */
  jobDurationMs: number;
  /**
   * How long after Running a pod (of a Deployment) turns Ready, at the least: a container with a
   * readiness probe takes its initialDelaySeconds + periodSeconds (in `secondMs`). Default 20 ms.
   */
  readyAfterMs: number;
  /**
   * How long one second of a real kubelet's timing lasts here, in ms: a deleted pod's grace
   * period (its containers run on until it ends: 30 s by default), the crash-loop back-off (10 s
   * doubling up to 5 min) and readiness-probe delays. Default 1: a 30 s grace period lasts 30 ms;
   * a test that needs those windows to be seen sets more.
   */
  secondMs: number;
  /** How long the garbage collector takes to notice that an owner is gone. Default 10 ms. */
  gcDelayMs: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  podStartMs: 20,
  jobDurationMs: 50,
  readyAfterMs: 20,
  secondMs: 1,
  gcDelayMs: 10,
};

export interface Controller {
  stop(): void;
}

/** A work item: an object to sync (`plural`, namespace, name) or the orphans of a gone owner (`gc`, uid). */
type Key = string;
const SEP = '\n';
const keyOf = (plural: string, namespace: string | undefined, name: string): Key =>
  [plural, namespace ?? '', name].join(SEP);

/**
 * Runs the simulated control plane inside the server, as real controllers run: a work queue fed
 * by the changes in the store (an object, its owner, its owner's owner, the orphans of a deleted
 * owner, the namespace of a deleted object), drained one coalesced pass at a time, with timed
 * wake-ups for what time alone changes (a pod starting, a container ending, a deadline).
 */
export function startController(
  store: ObjectStore,
  logs: PodLogBook,
  options: ControllerOptions,
): Controller {
  const gc = new GarbageCollector(store);
  const deployments = new DeploymentController(store);
  const replicaSets = new ReplicaSetController(store);
  const jobs = new JobController(store);
  const kubelet = new Kubelet(store, logs, options);
  const queue = new Set<Key>();
  const wakeups = new Map<Key, number>();
  let stopped = false;
  let queued = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;

  const poke = () => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(pass);
  };

  // The garbage collector works from its own informers, a little behind the store: the
  // dependents of a deleted owner go some time after it, never in the same instant.
  const collectLater = (uid: string) => {
    const key = keyOf('gc', '', uid);
    const at = Date.now() + options.gcDelayMs;
    if (at < (wakeups.get(key) ?? Number.POSITIVE_INFINITY)) wakeups.set(key, at);
  };

  const enqueueOwners = (object: Readonly<StoredObject>, depth: number) => {
    for (const ref of object.metadata.ownerReferences ?? []) {
      const owner = resourceByKind(ref.kind);
      if (!owner) continue;
      queue.add(keyOf(owner.plural, object.metadata.namespace, ref.name));
      // A pod's readiness is its ReplicaSet's and its Deployment's business too.
      const found =
        depth > 0 ? store.peek(owner.plural, object.metadata.namespace, ref.name) : undefined;
      if (found) enqueueOwners(found, depth - 1);
      if (!store.hasUid(ref.uid)) collectLater(ref.uid);
    }
  };

  const onEvent = (event: StoreEvent) => {
    const { object } = event;
    queue.add(keyOf(event.plural, object.metadata.namespace, object.metadata.name ?? ''));
    enqueueOwners(object, 1);
    if (event.type === 'DELETED') {
      collectLater(object.metadata.uid ?? '');
      if (object.metadata.namespace)
        queue.add(keyOf('namespaces', undefined, object.metadata.namespace));
      if (event.plural === 'pods') kubelet.forget(object.metadata.uid ?? '');
    }
    poke();
  };

  const sync = (key: Key, now: number): number => {
    const [plural = '', namespace = '', name = ''] = key.split(SEP);
    if (plural === 'gc') {
      gc.collectOrphansOf(name);
      return Number.POSITIVE_INFINITY;
    }
    const object = store.peek(plural, namespace || undefined, name) as StoredObject | undefined;
    if (!object) return Number.POSITIVE_INFINITY;
    gc.finishForeground(resourceByPlural(plural), object);
    if (plural === 'pods') {
      // The finalizer of a Job's pod goes once its Job is gone, whatever the pod is doing.
      if (jobs.releaseOrphan(object)) return Number.POSITIVE_INFINITY;
      return kubelet.sync(object, now);
    }
    if (plural === 'namespaces') gc.syncNamespace(object);
    // A Job being deleted still releases its pods' tracking finalizers.
    if (plural === 'jobs') return jobs.sync(object, now);
    if (object.metadata.deletionTimestamp) return Number.POSITIVE_INFINITY;
    if (plural === 'deployments') return deployments.sync(object, now);
    if (plural === 'replicasets') replicaSets.sync(object);
    return Number.POSITIVE_INFINITY;
  };

  function pass(): void {
    queued = false;
    if (stopped) return;
    const now = Date.now();
    for (const [key, at] of wakeups) {
      if (at <= now) {
        wakeups.delete(key);
        queue.add(key);
      }
    }
    const keys = [...queue];
    queue.clear();
    for (const key of keys) {
      const next = sync(key, now);
      if (next < Number.POSITIVE_INFINITY) wakeups.set(key, Math.max(next, now + 1));
      else wakeups.delete(key);
    }
    if (queue.size > 0) poke();
    const earliest = Math.min(...wakeups.values());
    if (earliest === Number.POSITIVE_INFINITY || earliest >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = earliest;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        poke();
      },
      Math.max(0, earliest - Date.now()),
    );
  }

  const unsubscribe = store.subscribe(onEvent);
  for (const resource of RESOURCES) {
    for (const object of store.scan(resource.plural))
      queue.add(keyOf(resource.plural, object.metadata.namespace, object.metadata.name ?? ''));
  }
  poke();
  return {
    stop() {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
    },
  };
}
