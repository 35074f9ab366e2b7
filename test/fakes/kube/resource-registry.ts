/** A resource the test server serves, described as its discovery document describes it. */
export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources beyond the object itself: `status`, `scale`, `log`. */
  subresources: string[];
  /** Whether metadata.generation is kept (workload APIs and custom resources; not pods, services). */
  hasGeneration: boolean;
  /** Custom resources (CRDs) accept no strategic merge patch. */
  custom?: boolean;
  /** The REST storage answers DELETE with the object rather than a Status. */
  returnsDeletedObject?: boolean;
  /** Propagation when a DELETE names none (batch/v1 Jobs still orphan their pods). */
  defaultPropagation: 'Orphan' | 'Background';
}

const ALL = ['all'];

function def(fields: Partial<ResourceDef> & Pick<ResourceDef, 'plural' | 'kind'>): ResourceDef {
  return {
    group: '',
    version: 'v1',
    singular: fields.kind.toLowerCase(),
    namespaced: true,
    subresources: [],
    hasGeneration: false,
    defaultPropagation: 'Background',
    ...fields,
  };
}

export const RESOURCES: readonly ResourceDef[] = [
  def({
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    returnsDeletedObject: true,
  }),
  def({
    plural: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
  }),
  def({
    plural: 'pods',
    kind: 'Pod',
    shortNames: ['po'],
    categories: ALL,
    subresources: ['status', 'log'],
    returnsDeletedObject: true,
  }),
  def({
    plural: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ALL,
    subresources: ['status'],
    returnsDeletedObject: true,
  }),
  def({ plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  def({ plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  def({ plural: 'events', kind: 'Event', shortNames: ['ev'] }),
  def({ plural: 'secrets', kind: 'Secret' }),
  def({
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  def({ group: 'rbac.authorization.k8s.io', plural: 'roles', kind: 'Role' }),
  def({ group: 'rbac.authorization.k8s.io', plural: 'rolebindings', kind: 'RoleBinding' }),
  def({
    group: 'rbac.authorization.k8s.io',
    plural: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    plural: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
  }),
  def({
    group: 'apps',
    plural: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    categories: ALL,
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  def({
    group: 'apps',
    plural: 'replicasets',
    kind: 'ReplicaSet',
    shortNames: ['rs'],
    categories: ALL,
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  def({
    group: 'batch',
    plural: 'jobs',
    kind: 'Job',
    categories: ALL,
    subresources: ['status'],
    hasGeneration: true,
    defaultPropagation: 'Orphan',
  }),
  def({
    group: 'batch',
    plural: 'cronjobs',
    kind: 'CronJob',
    shortNames: ['cj'],
    categories: ALL,
    subresources: ['status'],
    hasGeneration: true,
  }),
  def({
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    shortNames: ['hpa'],
    categories: ALL,
    subresources: ['status'],
  }),
  def({
    group: 'networking.k8s.io',
    plural: 'ingresses',
    kind: 'Ingress',
    shortNames: ['ing'],
    subresources: ['status'],
    hasGeneration: true,
  }),
  def({
    group: 'gateway.networking.k8s.io',
    plural: 'httproutes',
    kind: 'HTTPRoute',
    categories: ['gateway-api'],
    subresources: ['status'],
    hasGeneration: true,
    custom: true,
  }),
];

/** `v1` for the core group, `group/version` otherwise. */
export function apiVersionOf(resource: ResourceDef): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** `jobs.batch`, `pods`: how Status messages name a resource. */
export function qualifiedResource(resource: ResourceDef): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/** `Job.batch`, `Service`: how validation messages name a kind. */
export function qualifiedKind(resource: ResourceDef): string {
  return resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
}

export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceByPlural(plural: string): ResourceDef {
  const found = RESOURCES.find((r) => r.plural === plural);
  if (!found) throw new Error(`the Kubernetes API test server serves no resource "${plural}"`);
  return found;
}

export function resourceByKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/** The API groups (other than core) in discovery order, each with its one version. */
export function apiGroups(): { name: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const r of RESOURCES) {
    if (r.group && !seen.has(r.group)) seen.set(r.group, r.version);
  }
  return [...seen].map(([name, version]) => ({ name, version }));
}
