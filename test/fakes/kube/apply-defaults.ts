import { canonicalize } from './canonical-form.js';
import {
  ensureObject,
  isPlainObject,
  type JsonObject,
  pathValue,
  type StoredObject,
} from './kube-object.js';

function setDefault(target: JsonObject, field: string, value: JsonObject[string]): void {
  if (target[field] === undefined) target[field] = value;
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function defaultProbe(probe: unknown): void {
  if (!isPlainObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isPlainObject(probe.httpGet)) setDefault(probe.httpGet, 'scheme', 'HTTP');
}

function defaultContainer(container: JsonObject): void {
  const image = typeof container.image === 'string' ? container.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  setDefault(container, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  setDefault(container, 'resources', {});
  for (const port of objects(container.ports)) setDefault(port, 'protocol', 'TCP');
  for (const env of objects(container.env)) {
    const fieldRef = isPlainObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isPlainObject(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(container.readinessProbe);
  defaultProbe(container.livenessProbe);
  defaultProbe(container.startupProbe);
}

/** Defaults of a PodSpec, as `SetDefaults_PodSpec` and friends fill them in. */
function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const container of [...objects(spec.containers), ...objects(spec.initContainers)])
    defaultContainer(container);
}

function defaultTemplate(template: unknown): void {
  if (!isPlainObject(template)) return;
  defaultPodSpec(ensureObject(template, 'spec'));
}

/**
 * Fills in the defaults a real API server writes into a stored object of `plural` (in place),
 * once its empty values are left out and its quantities made canonical (`canonicalize`).
 */
export function applyDefaults(plural: string, object: StoredObject): void {
  canonicalize(object);
  const spec = () => {
    object.spec ??= {};
    return object.spec;
  };
  switch (plural) {
    case 'pods': {
      const s = spec();
      defaultPodSpec(s);
      // Admission (ServiceAccount, DefaultTolerationSeconds, Priority) adds these to every pod.
      setDefault(s, 'serviceAccountName', 'default');
      s.serviceAccount = s.serviceAccountName ?? 'default';
      setDefault(s, 'enableServiceLinks', true);
      setDefault(s, 'priority', 0);
      setDefault(s, 'preemptionPolicy', 'PreemptLowerPriority');
      setDefault(s, 'tolerations', [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ]);
      break;
    }
    case 'deployments': {
      const s = spec();
      setDefault(s, 'replicas', 1);
      setDefault(s, 'revisionHistoryLimit', 10);
      setDefault(s, 'progressDeadlineSeconds', 600);
      setDefault(s, 'strategy', {});
      const strategy = s.strategy as JsonObject;
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        setDefault(strategy, 'rollingUpdate', {});
        setDefault(strategy.rollingUpdate as JsonObject, 'maxUnavailable', '25%');
        setDefault(strategy.rollingUpdate as JsonObject, 'maxSurge', '25%');
      }
      defaultTemplate(s.template);
      break;
    }
    case 'replicasets':
      setDefault(spec(), 'replicas', 1);
      defaultTemplate(spec().template);
      break;
    case 'jobs': {
      const s = spec();
      setDefault(s, 'parallelism', 1);
      setDefault(s, 'completions', 1);
      setDefault(s, 'backoffLimit', 6);
      setDefault(s, 'completionMode', 'NonIndexed');
      setDefault(s, 'suspend', false);
      setDefault(s, 'podReplacementPolicy', 'TerminatingOrFailed');
      defaultTemplate(s.template);
      break;
    }
    case 'cronjobs': {
      const s = spec();
      setDefault(s, 'concurrencyPolicy', 'Allow');
      setDefault(s, 'suspend', false);
      setDefault(s, 'successfulJobsHistoryLimit', 3);
      setDefault(s, 'failedJobsHistoryLimit', 1);
      defaultTemplate(pathValue(s, 'jobTemplate', 'spec', 'template'));
      break;
    }
    case 'services': {
      const s = spec();
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      for (const port of objects(s.ports)) {
        setDefault(port, 'protocol', 'TCP');
        setDefault(port, 'targetPort', port.port ?? null);
      }
      break;
    }
    case 'namespaces':
      setDefault(spec(), 'finalizers', ['kubernetes']);
      object.metadata.labels = {
        ...object.metadata.labels,
        'kubernetes.io/metadata.name': object.metadata.name ?? '',
      };
      break;
    case 'httproutes':
      for (const ref of objects(spec().parentRefs)) {
        setDefault(ref, 'group', 'gateway.networking.k8s.io');
        setDefault(ref, 'kind', 'Gateway');
      }
      for (const rule of objects(spec().rules)) {
        for (const ref of objects(rule.backendRefs)) {
          setDefault(ref, 'group', '');
          setDefault(ref, 'kind', 'Service');
          setDefault(ref, 'weight', 1);
        }
      }
      break;
  }
}
