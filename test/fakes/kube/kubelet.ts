import { randomBytes } from 'node:crypto';
import { deleteObject } from './delete-object.js';
import { fakeBehaviour } from './fake-env.js';
import { deepCopy, deepEqual, pathValue, type StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { PodLogBook } from './pod-log-book.js';
import {
  backOffSeconds,
  type ContainerRun,
  NODE_NAME,
  type PodRun,
  podStatus,
} from './pod-status.js';
import { resourceByPlural } from './resource-registry.js';
import { updateObject } from './write-object.js';

export interface KubeletTiming {
  podStartMs: number;
  jobDurationMs: number;
  readyAfterMs: number;
  /** How long one second of a real kubelet's timing lasts here (grace periods, back-off, probes). */
  secondMs: number;
}

/** The exit code of a container killed with SIGKILL at the end of its grace period. */
const KILLED = 137;

const PODS = resourceByPlural('pods');

/**
 * The simulated node: binds pods, runs their containers by the KUBE_FAKE_* env conventions
 * (Pending -> Running -> Succeeded/Failed, readiness after the readiness probe's delay, restarts
 * with a growing CrashLoopBackOff), writes their logs and status as a kubelet does, and finishes
 * graceful deletions once the containers have stopped or their grace period has ended. Timings a
 * real kubelet counts in seconds run `secondMs` to the second.
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
    this.writeStatus(pod, run, now);
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
    const restartPolicy = String(pathValue(pod, 'spec', 'restartPolicy') ?? 'Always');
    const probed = list.some((c) => pathValue(c, 'readinessProbe') !== undefined);
    return {
      since: now,
      restartPolicy,
      probed,
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
        readyDelayMs: this.readyDelayMs(c, restartPolicy === 'Always' || probed),
        nextAt: now + this.timing.podStartMs,
      })),
    };
  }

  /**
   * A probed container turns Ready at the first probe after its initialDelaySeconds: a kubelet
   * probes every periodSeconds, so up to initialDelaySeconds + periodSeconds after it started.
   */
  private readyDelayMs(container: unknown, delayed: boolean): number {
    const probe = pathValue(container, 'readinessProbe');
    if (probe === undefined) return delayed ? this.timing.readyAfterMs : 0;
    const seconds =
      Number(pathValue(probe, 'initialDelaySeconds') ?? 0) +
      Number(pathValue(probe, 'periodSeconds') ?? 10);
    return Math.max(this.timing.readyAfterMs, seconds * this.timing.secondMs);
  }

  private writeStatus(pod: StoredObject, run: PodRun, now: number): void {
    const status = podStatus(pod, run, now);
    if (deepEqual(status, pod.status)) return;
    updateObject(
      this.store,
      PODS,
      pod,
      { ...pod, status },
      { manager: 'kubelet', subresource: 'status', system: true },
    );
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
    c.readyAt =
      behaviour.neverReady || behaviour.crash ? Number.POSITIVE_INFINITY : at + c.readyDelayMs;
  }

  private step(pod: StoredObject, run: PodRun, c: ContainerRun, at: number): void {
    if (c.phase === 'creating' && c.behaviour.pullFails) {
      c.phase = 'pullerror';
      c.nextAt = at + this.timing.podStartMs;
      return;
    }
    if (c.phase === 'pullerror') {
      c.phase = 'pullbackoff';
      c.nextAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (c.phase === 'creating' || c.phase === 'backoff') {
      this.start(pod, run, c, at);
      return;
    }
    const uid = pod.metadata.uid ?? '';
    c.phase = 'exited';
    c.finishedAt = at;
    c.exitCode = c.behaviour.crash ? 1 : c.behaviour.exitCode;
    c.nextAt = Number.POSITIVE_INFINITY;
    const restart =
      run.terminatingSince === undefined &&
      (run.restartPolicy === 'Always' || (run.restartPolicy === 'OnFailure' && c.exitCode !== 0));
    if (!restart) {
      this.logs.end(uid, c.name);
      return;
    }
    this.logs.awaitRestart(uid, c.name);
    c.last = { exitCode: c.exitCode, startedAt: c.startedAt, finishedAt: at, id: c.id };
    c.restartCount += 1;
    c.phase = 'backoff';
    // A kubelet waits 10 s before the first restart, doubling up to 5 min (CrashLoopBackOff).
    c.nextAt = at + Math.max(1, backOffSeconds(c.restartCount) * this.timing.secondMs);
  }

  /**
   * A pod being deleted: its containers get SIGTERM, which the simulated ones ignore (as a PID 1
   * without a signal handler does), so each runs on until it ends by itself or its grace period
   * ends (SIGKILL, exit code 137), and none starts again. Once none runs, and no sooner than
   * podStartMs after the deletion (the kubelet's own pace), the kubelet writes the pod's final
   * status and removes it; finalizers may hold it a while longer.
   */
  private terminate(pod: StoredObject, run: PodRun, now: number): number {
    if (run.removed) return Number.POSITIVE_INFINITY;
    if (run.terminatingSince === undefined) {
      run.terminatingSince = now;
      const graceMs = Number(pod.metadata.deletionGracePeriodSeconds ?? 0) * this.timing.secondMs;
      for (const c of run.containers) {
        if (c.phase === 'running') c.killAt = now + graceMs;
        else if (c.phase !== 'exited') this.stopUnstarted(c, now);
      }
    }
    for (const c of run.containers) {
      if (c.phase !== 'running') continue;
      const killAt = c.killAt ?? now;
      if (c.nextAt <= now && c.nextAt <= killAt) this.step(pod, run, c, c.nextAt);
      else if (killAt <= now) this.kill(pod, c, killAt);
    }
    this.writeStatus(pod, run, now);
    const running = run.containers.filter((c) => c.phase === 'running');
    if (running.length > 0)
      return Math.min(...running.map((c) => Math.min(c.nextAt, c.killAt ?? now)));
    const doneAt = run.terminatingSince + this.timing.podStartMs;
    if (now < doneAt) return doneAt;
    run.removed = true;
    deleteObject(this.store, PODS, pod.metadata.namespace, pod.metadata.name ?? '', {
      gracePeriodSeconds: 0,
    });
    return Number.POSITIVE_INFINITY;
  }

  private kill(pod: StoredObject, c: ContainerRun, at: number): void {
    c.phase = 'exited';
    c.finishedAt = at;
    c.exitCode = KILLED;
    c.nextAt = Number.POSITIVE_INFINITY;
    this.logs.end(pod.metadata.uid ?? '', c.name);
  }

  /** A container not running when its pod is deleted stays stopped: as it last ended, or killed. */
  private stopUnstarted(c: ContainerRun, now: number): void {
    const last = c.last;
    c.phase = 'exited';
    c.nextAt = Number.POSITIVE_INFINITY;
    c.exitCode = last?.exitCode ?? KILLED;
    c.startedAt = last?.startedAt ?? now;
    c.finishedAt = last?.finishedAt ?? now;
    if (last) c.id = last.id;
  }
}
