import { randomBytes } from 'node:crypto';
import { deleteObject } from './delete-object.js';
import { fakeBehaviour } from './fake-env.js';
import { deepCopy, deepEqual, pathValue, type StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { PodLogBook } from './pod-log-book.js';
import { type ContainerRun, NODE_NAME, type PodRun, podStatus } from './pod-status.js';
import { resourceByPlural } from './resource-registry.js';
import { updateObject } from './write-object.js';

export interface KubeletTiming {
  podStartMs: number;
  jobDurationMs: number;
  readyAfterMs: number;
}

const PODS = resourceByPlural('pods');

/**
 * The simulated node: binds pods, runs their containers by the KUBE_FAKE_* env conventions
 * (Pending -> Running -> Succeeded/Failed, readiness, restarts with CrashLoopBackOff), writes
 * their logs and status as a kubelet does, and finishes graceful deletions.
 */
export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  private nextIp = 10;

  constructor(
    private readonly store: ObjectStore,
    private readonly logs: PodLogBook,
    private readonly timing: KubeletTiming,
  ) {}

  /** The pod is gone: its run and logs go too (followers' streams end). */
  forget(uid: string): void {
    this.runs.delete(uid);
    this.logs.remove(uid);
  }

  /** Brings one pod up to date; answers when it next has something to do (Infinity: nothing). */
  sync(pod: StoredObject, now: number): number {
    const uid = pod.metadata.uid ?? '';
    let run = this.runs.get(uid);
    if (!run) {
      run = this.admit(pod, now);
      this.runs.set(uid, run);
    }
    if (!pod.spec?.nodeName) {
      const bound = deepCopy(pod);
      bound.spec = { ...bound.spec, nodeName: NODE_NAME };
      pod = updateObject(this.store, PODS, pod, bound, { manager: 'kube-scheduler', system: true });
    }
    if (pod.metadata.deletionTimestamp) return this.terminate(pod, run, now);
    for (const c of run.containers) {
      while (c.nextAt <= now) this.step(pod, run, c, c.nextAt);
    }
    const status = podStatus(pod, run, now);
    if (!deepEqual(status, pod.status)) {
      updateObject(
        this.store,
        PODS,
        pod,
        { ...pod, status },
        { manager: 'kubelet', subresource: 'status', system: true },
      );
    }
    let next = Number.POSITIVE_INFINITY;
    for (const c of run.containers) {
      next = Math.min(next, c.nextAt);
      if (c.readyAt > now) next = Math.min(next, c.readyAt);
    }
    return next;
  }

  private admit(pod: StoredObject, now: number): PodRun {
    const containers = pathValue(pod, 'spec', 'containers');
    const list = Array.isArray(containers) ? containers : [];
    return {
      since: now,
      restartPolicy: String(pathValue(pod, 'spec', 'restartPolicy') ?? 'Always'),
      probed: list.some((c) => pathValue(c, 'readinessProbe') !== undefined),
      podIP: `10.244.0.${this.nextIp++ % 250}`,
      conditions: new Map(),
      containers: list.map((c) => ({
        name: String(pathValue(c, 'name')),
        image: String(pathValue(c, 'image')),
        behaviour: fakeBehaviour(c),
        phase: 'creating',
        restartCount: 0,
        id: '',
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        readyAt: Number.POSITIVE_INFINITY,
        nextAt: now + this.timing.podStartMs,
      })),
    };
  }

  private start(pod: StoredObject, run: PodRun, c: ContainerRun, at: number): void {
    const { behaviour } = c;
    c.phase = 'running';
    c.startedAt = at;
    c.id = randomBytes(32).toString('hex');
    this.logs.start(pod.metadata.uid ?? '', c.name, behaviour.logs, new Date(at));
    const duration = behaviour.crash
      ? this.timing.readyAfterMs
      : (behaviour.durationMs ??
        (run.restartPolicy === 'Always' ? undefined : this.timing.jobDurationMs));
    c.nextAt = duration === undefined ? Number.POSITIVE_INFINITY : at + duration;
    const readyDelay = run.restartPolicy === 'Always' || run.probed ? this.timing.readyAfterMs : 0;
    c.readyAt =
      behaviour.neverReady || behaviour.crash ? Number.POSITIVE_INFINITY : at + readyDelay;
  }

  private step(pod: StoredObject, run: PodRun, c: ContainerRun, at: number): void {
    if (c.phase === 'creating' || c.phase === 'backoff') {
      this.start(pod, run, c, at);
      return;
    }
    c.phase = 'exited';
    c.finishedAt = at;
    c.exitCode = c.behaviour.crash ? 1 : c.behaviour.exitCode;
    c.nextAt = Number.POSITIVE_INFINITY;
    const restart =
      run.restartPolicy === 'Always' || (run.restartPolicy === 'OnFailure' && c.exitCode !== 0);
    if (restart) this.logs.awaitRestart(pod.metadata.uid ?? '', c.name);
    else this.logs.end(pod.metadata.uid ?? '', c.name);
    if (restart) {
      c.last = { exitCode: c.exitCode, startedAt: c.startedAt, finishedAt: at, id: c.id };
      c.restartCount += 1;
      c.phase = 'backoff';
      c.nextAt = at + Math.max(this.timing.readyAfterMs, 1);
    }
  }

  private terminate(pod: StoredObject, run: PodRun, now: number): number {
    if (run.terminatingSince === undefined) {
      run.terminatingSince = now;
      for (const c of run.containers) this.logs.end(pod.metadata.uid ?? '', c.name);
    }
    const doneAt = run.terminatingSince + this.timing.podStartMs;
    if (now < doneAt) return doneAt;
    deleteObject(this.store, PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
      gracePeriodSeconds: 0,
    });
    return Number.POSITIVE_INFINITY;
  }
}
