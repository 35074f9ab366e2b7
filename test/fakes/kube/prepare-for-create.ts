import { randomUUID } from 'node:crypto';
import {
  ensureObject,
  isPlainObject,
  kubeTime,
  pathValue,
  type StoredObject,
} from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { ResourceDef } from './resource-registry.js';
import type { FieldError } from './status-error.js';
import { goMap } from './validate-object.js';

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

/** The status an object starts with, as each kind's strategy resets it on create. */
function initialStatus(plural: string, object: StoredObject): StoredObject['status'] {
  switch (plural) {
    case 'pods':
      return { phase: 'Pending', qosClass: qosClass(object) };
    case 'namespaces':
      return { phase: 'Active' };
    case 'services':
    case 'ingresses':
      return { loadBalancer: {} };
    case 'deployments':
    case 'replicasets':
    case 'jobs':
    case 'cronjobs':
      return {};
    default:
      return object.status;
  }
}

function qosClass(pod: StoredObject): string {
  const containers = pathValue(pod, 'spec', 'containers');
  const resources = (Array.isArray(containers) ? containers : []).map((c) =>
    pathValue(c, 'resources'),
  );
  const has = (r: unknown, kind: string) =>
    isPlainObject(pathValue(r, kind)) && Object.keys(pathValue(r, kind) as object).length > 0;
  if (resources.every((r) => !has(r, 'requests') && !has(r, 'limits'))) return 'BestEffort';
  const guaranteed = resources.every(
    (r) =>
      has(r, 'limits') &&
      (!has(r, 'requests') ||
        JSON.stringify(pathValue(r, 'requests')) === JSON.stringify(pathValue(r, 'limits'))),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function allocateClusterIp(store: ObjectStore): string {
  const used = new Set(store.scan('services').map((s) => pathValue(s, 'spec', 'clusterIP')));
  for (;;) {
    const ip = `10.96.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 252)}`;
    if (!used.has(ip)) return ip;
  }
}

/** Service allocation: a clusterIP on create; on update an empty clusterIP keeps the allocated one. */
export function allocateServiceFields(
  store: ObjectStore,
  service: StoredObject,
  before?: StoredObject,
): void {
  const spec = ensureObject(service, 'spec');
  const old = before?.spec ?? {};
  if (
    (spec.clusterIP === undefined || spec.clusterIP === '') &&
    typeof old.clusterIP === 'string'
  ) {
    spec.clusterIP = old.clusterIP;
    spec.clusterIPs = old.clusterIPs ?? [old.clusterIP];
  }
  if (spec.type !== 'ExternalName' && (spec.clusterIP === undefined || spec.clusterIP === ''))
    spec.clusterIP = allocateClusterIp(store);
  if (typeof spec.clusterIP === 'string' && spec.clusterIPs === undefined)
    spec.clusterIPs = [spec.clusterIP];
  if (spec.type !== 'ExternalName') {
    spec.ipFamilies ??= old.ipFamilies ?? ['IPv4'];
    spec.ipFamilyPolicy ??= old.ipFamilyPolicy ?? 'SingleStack';
    spec.internalTrafficPolicy ??= old.internalTrafficPolicy ?? 'Cluster';
  }
}

/**
 * Server-side fields of a new object: uid, creationTimestamp, generation, the initial status, and
 * each kind's create strategy (a Job's generated selector and pod labels, a Service's clusterIP).
 * Answers field errors the strategy itself finds (a hand-written Job selector).
 */
export function prepareForCreate(
  resource: ResourceDef,
  object: StoredObject,
  store: ObjectStore,
  now: Date,
): FieldError[] {
  const errors: FieldError[] = [];
  const meta = object.metadata;
  meta.uid = randomUUID();
  meta.creationTimestamp = kubeTime(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (resource.hasGeneration) meta.generation = 1;
  else delete meta.generation;
  const status = initialStatus(resource.plural, object);
  if (status === undefined) delete object.status;
  else object.status = status;
  if (resource.custom) delete object.status;

  if (resource.plural === 'jobs') {
    const spec = ensureObject(object, 'spec');
    if (spec.manualSelector !== true) {
      if (spec.selector !== undefined) {
        const labels = pathValue(spec, 'selector', 'matchLabels');
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.selector',
          detail: `v1.LabelSelector{MatchLabels:${goMap(labels)}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: \`selector\` not auto-generated`,
        });
      }
      spec.selector = { matchLabels: { [CONTROLLER_UID]: meta.uid } };
      const template = ensureObject(spec, 'template', 'metadata');
      template.labels = {
        ...(isPlainObject(template.labels) ? template.labels : {}),
        [CONTROLLER_UID]: meta.uid,
        'batch.kubernetes.io/job-name': meta.name ?? '',
        'controller-uid': meta.uid,
        'job-name': meta.name ?? '',
      };
    }
  }
  if (resource.plural === 'services') allocateServiceFields(store, object);
  return errors;
}
