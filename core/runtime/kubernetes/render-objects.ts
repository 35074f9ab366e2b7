import type {
  KubernetesObject,
  V1Container,
  V1CronJob,
  V1Deployment,
  V1Ingress,
  V1Job,
  V1PodTemplateSpec,
  V1Probe,
  V1Service,
} from '@kubernetes/client-node';
import { kubernetesScheduleProblem } from '../../config/index.js';
import { SlipwayError } from '../../errors.js';
import { LABELS, MANAGED_BY_VALUE, type Workload, type WorkloadKind } from '../types.js';

/** Annotation holding the workload's spec hash: equal hash, nothing to apply. */
export const SPEC_HASH_ANNOTATION = 'slipway.dev/spec-hash';
/** Label naming the workload kind an object belongs to (a service is a Deployment and a Service). */
export const KIND_LABEL = 'slipway.dev/kind';
/** The one label a Deployment's selector and its Service select on; it never changes. */
export const SELECTOR_LABEL = LABELS.task;
export const DEFAULT_SERVICE_PORT = 8080;
const CONTAINER = 'task';

/** The object that carries a workload's spec hash and status: a Job, CronJob or Deployment. */
export function primaryKind(kind: WorkloadKind): 'Job' | 'CronJob' | 'Deployment' {
  if (kind === 'job') return 'Job';
  if (kind === 'cronjob') return 'CronJob';
  return 'Deployment';
}

/** Why Kubernetes cannot run this workload, or null (checked for every workload before any apply). */
export function kubernetesProblem(workload: Workload): string | null {
  const name = `${workload.kind} '${workload.name}'`;
  if (!workload.image) {
    return `${name} has no "image-destination"; the kubernetes runtime runs images (cmd alone needs the local runtime)`;
  }
  const schedule = workload.kind === 'cronjob' ? workload.schedule : null;
  const problem = schedule ? kubernetesScheduleProblem(schedule) : null;
  if (problem)
    return `${name} has the schedule "${schedule}", which Kubernetes refuses: ${problem}`;
  return null;
}

/**
 * The Kubernetes objects of a workload (DESIGN.md section 5), in the order they are applied:
 * job -> Job; cron job -> CronJob; deployment -> Deployment; service -> Deployment + Service
 * (container port default 8080, readiness and liveness on /health) and, when published, an
 * Ingress. Everything carries Slipway's labels; the primary object carries the spec hash.
 */
export function renderObjects(workload: Workload): KubernetesObject[] {
  const metadata = objectMetadata(workload);
  const template = podTemplate(workload);
  switch (workload.kind) {
    case 'job': {
      const job: V1Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: primaryMetadata(workload),
        spec: jobSpec(template),
      };
      return [job];
    }
    case 'cronjob': {
      const cronJob: V1CronJob = {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: primaryMetadata(workload),
        spec: {
          schedule: workload.schedule ?? '',
          timeZone: 'Etc/UTC',
          concurrencyPolicy: 'Forbid',
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            metadata: { labels: template.metadata?.labels ?? {} },
            spec: jobSpec(template),
          },
        },
      };
      return [cronJob];
    }
    case 'deployment':
      return [deployment(workload, template)];
    case 'service': {
      const service: V1Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata,
        spec: {
          type: 'ClusterIP',
          selector: { [SELECTOR_LABEL]: workload.name },
          ports: [
            { name: 'http', port: servicePort(workload), targetPort: 'http', protocol: 'TCP' },
          ],
        },
      };
      const objects: KubernetesObject[] = [deployment(workload, template), service];
      if (workload.published) objects.push(ingress(workload));
      return objects;
    }
  }
}

function deployment(workload: Workload, template: V1PodTemplateSpec): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: primaryMetadata(workload),
    spec: {
      replicas: workload.replicas,
      selector: { matchLabels: { [SELECTOR_LABEL]: workload.name } },
      template,
    },
  };
}

function ingress(workload: Workload): V1Ingress {
  const published = workload.published ?? {};
  const annotations: Record<string, string> = {};
  if (published.rewrite)
    annotations['nginx.ingress.kubernetes.io/rewrite-target'] = published.rewrite;
  if (published.timeoutMs) {
    const seconds = String(Math.ceil(published.timeoutMs / 1000));
    annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] = seconds;
    annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'] = seconds;
  }
  if (published.stickySessions) annotations['nginx.ingress.kubernetes.io/affinity'] = 'cookie';
  if (published.access) annotations['slipway.dev/access'] = published.access;
  if (published.bypassAuth !== undefined)
    annotations['slipway.dev/bypass-auth'] = String(published.bypassAuth);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      ...objectMetadata(workload),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      rules: [
        {
          http: {
            paths: [
              {
                path: published.prefix ?? '/',
                pathType: 'Prefix',
                backend: { service: { name: workload.name, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  };
}

function jobSpec(template: V1PodTemplateSpec): V1Job['spec'] {
  // One attempt: a failed task fails the deploy at once, as on the local runtime; the next
  // deploy runs it again (a Job that succeeded is left as it ended).
  return {
    backoffLimit: 0,
    template: {
      ...template,
      spec: {
        ...template.spec,
        restartPolicy: 'Never',
        containers: template.spec?.containers ?? [],
      },
    },
  };
}

function podTemplate(workload: Workload): V1PodTemplateSpec {
  const labels = {
    ...workload.labels,
    [LABELS.managedBy]: MANAGED_BY_VALUE,
    [KIND_LABEL]: workload.kind,
  };
  return { metadata: { labels }, spec: { containers: [container(workload)] } };
}

function container(workload: Workload): V1Container {
  const requests = compact({
    cpu: workload.resources.cpuRequest,
    memory: workload.resources.memoryRequest,
  });
  const limits = compact({
    cpu: workload.resources.cpuLimit,
    memory: workload.resources.memoryLimit,
  });
  const result: V1Container = {
    name: CONTAINER,
    image: workload.image ?? '',
    ...(workload.imagePullPolicy ? { imagePullPolicy: workload.imagePullPolicy } : {}),
    ...(workload.command ? { command: workload.command } : {}),
    ...(workload.env.length > 0
      ? { env: workload.env.map((e) => ({ name: e.name, value: e.value })) }
      : {}),
    ...(requests || limits
      ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }
      : {}),
  };
  if (workload.kind === 'service') {
    result.ports = [{ name: 'http', containerPort: servicePort(workload), protocol: 'TCP' }];
    result.readinessProbe = healthProbe(workload, false);
    result.livenessProbe = healthProbe(workload, true);
  }
  return result;
}

/**
 * The health check of a service: the workload's own (a nullplatform scope's capabilities) or
 * GET /health every 10 s with a 5 s timeout (DESIGN.md 7.4 defaults).
 */
function healthProbe(workload: Workload, liveness: boolean): V1Probe {
  const check = workload.healthCheck;
  const initial = check?.initialDelaySeconds ?? 5;
  return {
    httpGet: { path: check?.path ?? '/health', port: 'http' },
    // Liveness waits longer: a slow start must not be killed before readiness had its chance.
    initialDelaySeconds: liveness ? Math.max(initial, 30) : initial,
    periodSeconds: check?.periodSeconds ?? 10,
    timeoutSeconds: check?.timeoutSeconds ?? 5,
    failureThreshold: 3,
  };
}

function servicePort(workload: Workload): number {
  return workload.port ?? DEFAULT_SERVICE_PORT;
}

function objectMetadata(workload: Workload) {
  return {
    name: workload.name,
    namespace: workload.namespace,
    labels: {
      ...workload.labels,
      [LABELS.managedBy]: MANAGED_BY_VALUE,
      [KIND_LABEL]: workload.kind,
    },
  };
}

function primaryMetadata(workload: Workload) {
  return {
    ...objectMetadata(workload),
    annotations: { [SPEC_HASH_ANNOTATION]: workload.specHash },
  };
}

function compact(values: Record<string, string | undefined>): Record<string, string> | undefined {
  const entries = Object.entries(values).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** Refuses workloads Kubernetes cannot run, naming every one (nothing is applied). */
export function assertRunnable(workloads: Workload[]): void {
  const problems = workloads.map(kubernetesProblem).filter((p): p is string => p !== null);
  if (problems.length > 0) throw new SlipwayError('BAD_REQUEST', problems.join('; '));
}
