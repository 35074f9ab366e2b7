import type {
  V1CronJob,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1Pod,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { PodInfo, PodPhase, WorkloadRef, WorkloadStatus } from '../types.js';

// Health as pure functions of the objects, the way Argo CD's gitops-engine judges them
// (pkg/health/health_job.go, health_deployment.go): no API calls here, so every rule is testable.

type Judged = Omit<WorkloadStatus, 'kind' | 'namespace' | 'name'>;

const NONE = { startTime: null, completionTime: null, exitCode: null, address: null };

/** A workload that is not in the cluster. */
export function missingStatus(ref: WorkloadRef): WorkloadStatus {
  return {
    ...ref,
    health: 'missing',
    phase: 'unknown',
    readyReplicas: 0,
    desiredReplicas: 0,
    message: `${ref.kind} '${ref.name}' does not exist in namespace ${ref.namespace}`,
    ...NONE,
  };
}

/** A Job: healthy once Complete, failed once Failed (with the reason and the container's exit code). */
export function judgeJob(job: V1Job, pods: V1Pod[]): Judged {
  const conditions = job.status?.conditions ?? [];
  const complete = conditions.find((c) => c.type === 'Complete' && c.status === 'True');
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  const exitCode = lastExitCode(pods);
  const startTime = iso(job.status?.startTime);
  const completionTime =
    iso(job.status?.completionTime) ?? (failed ? iso(failed.lastTransitionTime) : null);
  if (complete) {
    return {
      health: 'healthy',
      phase: 'succeeded',
      readyReplicas: 1,
      desiredReplicas: 1,
      message: 'completed',
      startTime,
      completionTime,
      exitCode: exitCode ?? 0,
      address: null,
    };
  }
  if (failed) {
    const exit = exitCode !== null ? ` (exit code ${exitCode})` : '';
    const message = `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the job failed'}${exit}`;
    return {
      health: 'failed',
      phase: 'failed',
      readyReplicas: 0,
      desiredReplicas: 1,
      message,
      startTime,
      completionTime,
      exitCode,
      address: null,
    };
  }
  const waiting = waitingReason(pods);
  const running = (job.status?.active ?? 0) > 0 || pods.some((p) => p.status?.phase === 'Running');
  return {
    health: waiting && isFatalWaiting(waiting) ? 'failed' : 'progressing',
    phase: running ? 'running' : 'pending',
    readyReplicas: 0,
    desiredReplicas: 1,
    message: waiting ?? (running ? 'running' : 'waiting for a pod'),
    startTime,
    completionTime: null,
    exitCode: null,
    address: null,
  };
}

/** A CronJob is healthy once it exists with its schedule; its phase follows the last run. */
export function judgeCronJob(cronJob: V1CronJob): Judged {
  const active = cronJob.status?.active?.length ?? 0;
  const last = iso(cronJob.status?.lastScheduleTime);
  const lastSuccess = iso(cronJob.status?.lastSuccessfulTime);
  const suspended = cronJob.spec?.suspend === true;
  const message = `scheduled "${cronJob.spec?.schedule ?? ''}"${suspended ? ' (suspended)' : ''}${last ? `; last run at ${last}` : ''}`;
  return {
    health: 'healthy',
    phase:
      active > 0
        ? 'running'
        : !last
          ? 'pending'
          : lastSuccess && lastSuccess >= last
            ? 'succeeded'
            : 'running',
    readyReplicas: 0,
    desiredReplicas: 0,
    message,
    startTime: last,
    completionTime: lastSuccess,
    exitCode: null,
    address: null,
  };
}

/**
 * A Deployment: healthy when the controller has seen the latest spec and every wanted replica is
 * updated and ready; failed when a pod crash-loops, cannot pull its image, or the rollout passed
 * its progress deadline; progressing otherwise. `pods` are those of its current revision (see
 * currentRevisionPods): the ones it is replacing neither fail nor delay it.
 */
export function judgeDeployment(
  deployment: V1Deployment,
  pods: V1Pod[],
  address: string | null,
): Judged {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const stalled = status.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  const waiting = waitingReason(pods);
  const base = {
    readyReplicas: ready,
    desiredReplicas: desired,
    startTime: earliestStart(pods),
    completionTime: null,
    exitCode: null,
    address,
  };
  if (stalled)
    return {
      ...base,
      health: 'failed',
      phase: 'failed',
      message: `${stalled.reason}: ${stalled.message ?? ''}`.trim(),
    };
  if (waiting && isFatalWaiting(waiting))
    return { ...base, health: 'failed', phase: 'failed', message: waiting };
  const done =
    observed && updated >= desired && ready >= desired && (status.replicas ?? 0) <= desired;
  if (done)
    return { ...base, health: 'healthy', phase: 'running', message: `${ready}/${desired} ready` };
  const why =
    waiting ?? notReadyReason(pods) ?? (observed ? 'rolling out' : 'waiting for the controller');
  return {
    ...base,
    health: 'progressing',
    phase: ready > 0 ? 'running' : 'pending',
    message: `${ready}/${desired} ready: ${why}`,
  };
}

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The pods of a Deployment's current revision: those of its ReplicaSet whose
 * `deployment.kubernetes.io/revision` is the Deployment's own. The pods of older ReplicaSets are
 * being replaced, and a crash loop there is what the rollout may be fixing. None until the
 * controller has seen the latest spec: until then the revision it names is the previous one.
 *
 * @example
 * judgeDeployment(deployment, currentRevisionPods(deployment, replicaSets, pods), null)
 */
export function currentRevisionPods(
  deployment: V1Deployment,
  replicaSets: V1ReplicaSet[],
  pods: V1Pod[],
): V1Pod[] {
  const observed =
    (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const revision = deployment.metadata?.annotations?.[REVISION];
  if (!observed || revision === undefined) return [];
  const current = replicaSets.find(
    (rs) =>
      controlledBy(rs.metadata, deployment.metadata?.uid) &&
      rs.metadata?.annotations?.[REVISION] === revision,
  );
  if (!current) return [];
  return pods.filter((pod) => controlledBy(pod.metadata, current.metadata?.uid));
}

function controlledBy(metadata: V1ObjectMeta | undefined, uid: string | undefined): boolean {
  return (
    uid !== undefined &&
    (metadata?.ownerReferences ?? []).some((owner) => owner.controller && owner.uid === uid)
  );
}

/** A pod as the Runtime port describes it. */
export function podInfo(pod: V1Pod, workload: WorkloadRef): PodInfo {
  const phase = (pod.status?.phase ?? 'Unknown') as PodPhase;
  return {
    namespace: pod.metadata?.namespace ?? workload.namespace,
    name: pod.metadata?.name ?? '',
    workload,
    phase,
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: (pod.status?.containerStatuses ?? []).reduce(
      (sum, c) => sum + (c.restartCount ?? 0),
      0,
    ),
    startTime: iso(pod.status?.startTime),
  };
}

/** Waiting reasons that will not heal by waiting longer. */
function isFatalWaiting(reason: string): boolean {
  return /^(CrashLoopBackOff|ImagePullBackOff|ErrImagePull|InvalidImageName|CreateContainerConfigError|CreateContainerError)/.test(
    reason,
  );
}

function waitingReason(pods: V1Pod[]): string | null {
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (
        waiting?.reason &&
        waiting.reason !== 'ContainerCreating' &&
        waiting.reason !== 'PodInitializing'
      ) {
        const exit = container.lastState?.terminated?.exitCode;
        const detail =
          waiting.reason === 'CrashLoopBackOff' && exit !== undefined
            ? `: exited with code ${exit} (${container.restartCount ?? 0} restarts)`
            : waiting.message
              ? `: ${waiting.message}`
              : '';
        return `${waiting.reason}${detail}`;
      }
    }
  }
  return null;
}

function notReadyReason(pods: V1Pod[]): string | null {
  const pod = pods.find(
    (p) =>
      p.status?.phase === 'Running' &&
      !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (!pod) return null;
  // Only a container with a readiness probe has a health check to fail; one without is not
  // ready yet for another reason (it is starting, or its node says so).
  const probed = pod.spec?.containers?.some((c) => c.readinessProbe !== undefined);
  return `pod ${pod.metadata?.name} is running but not ready${probed ? ' (health check failing)' : ''}`;
}

function lastExitCode(pods: V1Pod[]): number | null {
  const codes = pods
    .flatMap((p) => p.status?.containerStatuses ?? [])
    .map((c) => c.state?.terminated?.exitCode ?? c.lastState?.terminated?.exitCode)
    .filter((code): code is number => code !== undefined);
  return codes.at(-1) ?? null;
}

function earliestStart(pods: V1Pod[]): string | null {
  return (
    pods
      .map((p) => iso(p.status?.startTime))
      .filter((t): t is string => t !== null)
      .sort()[0] ?? null
  );
}

function iso(value: Date | string | undefined | null): string | null {
  if (!value) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
