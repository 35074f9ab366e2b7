import type { FakeBehaviour } from './fake-env.js';
import { type JsonObject, kubeTime, pathValue, type StoredObject } from './kube-object.js';

/** The one node every pod lands on. */
export const NODE_NAME = 'kube-fake-node';
export const NODE_IP = '172.18.0.2';

/** One container of a pod on the simulated node: where it is in its life. */
export interface ContainerRun {
  name: string;
  image: string;
  behaviour: FakeBehaviour;
  /** `pullerror`, `pullbackoff`: its image could not be pulled (ErrImagePull, ImagePullBackOff). */
  phase: 'creating' | 'pullerror' | 'pullbackoff' | 'running' | 'exited' | 'backoff';
  restartCount: number;
  id: string;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  readyAt: number;
  /** How long after each start it turns Ready: its readiness probe's first success. */
  readyDelayMs: number;
  /** When the next state change is due (Infinity: none). */
  nextAt: number;
  /** When the grace period of its pod's deletion ends and it is killed (SIGKILL). */
  killAt?: number;
  last?: { exitCode: number; startedAt: number; finishedAt: number; id: string };
}

export interface PodRun {
  since: number;
  restartPolicy: string;
  probed: boolean;
  podIP: string;
  containers: ContainerRun[];
  conditions: Map<string, { status: string; at: number }>;
  terminatingSince?: number;
  /** The kubelet has asked for the pod's removal (finalizers may still hold it). */
  removed?: boolean;
}

const iso = (ms: number) => kubeTime(new Date(ms));

/** Container phases before its first start. */
const WAITING_TO_START: ContainerRun['phase'][] = ['creating', 'pullerror', 'pullbackoff'];

/** How long a kubelet waits before restarting a container that has restarted `restartCount` times. */
export function backOffSeconds(restartCount: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, restartCount - 1));
}

function condition(
  run: PodRun,
  type: string,
  status: boolean,
  now: number,
  reason?: string,
  message?: string,
): JsonObject {
  const value = status ? 'True' : 'False';
  const known = run.conditions.get(type);
  if (!known || known.status !== value) run.conditions.set(type, { status: value, at: now });
  const out: JsonObject = {
    type,
    status: value,
    lastProbeTime: null,
    lastTransitionTime: iso(run.conditions.get(type)?.at ?? now),
  };
  if (!status && reason) out.reason = reason;
  if (!status && message) out.message = message;
  return out;
}

/** A pod's status as a kubelet writes it, from the state of its containers' runs. */
export function podStatus(pod: StoredObject, run: PodRun, now: number): JsonObject {
  const started = run.containers.some((c) => !WAITING_TO_START.includes(c.phase));
  const done = run.containers.every((c) => c.phase === 'exited');
  const phase = !started
    ? 'Pending'
    : done
      ? run.containers.every((c) => c.exitCode === 0)
        ? 'Succeeded'
        : 'Failed'
      : 'Running';
  const ready = (c: ContainerRun) => c.phase === 'running' && now >= c.readyAt && now < c.nextAt;
  const unready = run.containers.filter((c) => !ready(c)).map((c) => c.name);
  const allReady = unready.length === 0;
  const why = done ? 'PodCompleted' : 'ContainersNotReady';
  const message = done ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const status: JsonObject = {
    phase,
    conditions: [
      condition(run, 'PodReadyToStartContainers', started, now),
      condition(run, 'Initialized', true, now),
      condition(run, 'Ready', allReady, now, why, message),
      condition(run, 'ContainersReady', allReady, now, why, message),
      condition(run, 'PodScheduled', true, now),
    ],
    hostIP: NODE_IP,
    hostIPs: [{ ip: NODE_IP }],
    startTime: iso(run.since),
    containerStatuses: run.containers.map((c) => containerStatus(pod, c, ready(c))),
    qosClass: pathValue(pod, 'status', 'qosClass') ?? 'BestEffort',
  };
  if (started) {
    status.podIP = run.podIP;
    status.podIPs = [{ ip: run.podIP }];
  }
  return status;
}

function containerStatus(pod: StoredObject, c: ContainerRun, ready: boolean): JsonObject {
  const terminated = (exitCode: number, startedAt: number, finishedAt: number, id: string) => ({
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    startedAt: iso(startedAt),
    finishedAt: iso(finishedAt),
    containerID: `containerd://${id}`,
  });
  let state: JsonObject;
  if (c.phase === 'creating') state = { waiting: { reason: 'ContainerCreating' } };
  else if (c.phase === 'pullerror')
    state = {
      waiting: {
        reason: 'ErrImagePull',
        message: `failed to pull and unpack image "${c.image}": not found`,
      },
    };
  else if (c.phase === 'pullbackoff')
    state = {
      waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` },
    };
  else if (c.phase === 'running') state = { running: { startedAt: iso(c.startedAt) } };
  else if (c.phase === 'exited')
    state = { terminated: terminated(c.exitCode, c.startedAt, c.finishedAt, c.id) };
  else {
    const backoff = backOffSeconds(c.restartCount);
    const where = `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
    state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${backoff}s restarting failed container=${c.name} pod=${where}`,
      },
    };
  }
  const out: JsonObject = {
    name: c.name,
    state,
    lastState: c.last
      ? {
          terminated: terminated(c.last.exitCode, c.last.startedAt, c.last.finishedAt, c.last.id),
        }
      : {},
    ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: WAITING_TO_START.includes(c.phase)
      ? ''
      : `docker.io/library/${c.image.split(':')[0] ?? ''}@sha256:${'0'.repeat(64)}`,
    started: c.phase === 'running',
  };
  if (c.id) out.containerID = `containerd://${c.id}`;
  return out;
}
