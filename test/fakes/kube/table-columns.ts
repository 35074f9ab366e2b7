import { pathValue, type StoredObject } from './kube-object.js';

type Cell = string | number;

/** A column of `kubectl get`'s table and how the server fills its cell. */
export interface Column {
  name: string;
  type: 'string' | 'integer';
  format?: string;
  priority?: number;
  cell: (o: StoredObject) => Cell;
}

/** How kubectl and the API server print an age (`duration.HumanDuration`). */
function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  return `${Math.floor(hours / 24)}d`;
}

const age = (o: StoredObject) =>
  o.metadata.creationTimestamp
    ? humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp))
    : '<unknown>';
const num = (o: StoredObject, ...path: string[]) => Number(pathValue(o, ...path) ?? 0);
const str = (o: StoredObject, ...path: string[]) => String(pathValue(o, ...path) ?? '');
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function podStatus(pod: StoredObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const s of list(pathValue(pod, 'status', 'containerStatuses'))) {
    const waiting = pathValue(s, 'state', 'waiting', 'reason');
    if (waiting) return String(waiting);
    const terminated = pathValue(s, 'state', 'terminated', 'reason');
    if (
      terminated &&
      pathValue(pod, 'status', 'phase') !== 'Succeeded' &&
      pathValue(pod, 'status', 'phase') !== 'Failed'
    )
      return String(terminated);
  }
  const phase = str(pod, 'status', 'phase');
  return phase === 'Succeeded' ? 'Completed' : phase === 'Failed' ? 'Error' : phase;
}

function jobStatus(job: StoredObject): string {
  const conditions = list(pathValue(job, 'status', 'conditions'));
  const has = (type: string) =>
    conditions.some((c) => pathValue(c, 'type') === type && pathValue(c, 'status') === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (pathValue(job, 'spec', 'suspend') === true) return 'Suspended';
  return 'Running';
}

export const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  cell: (o) => o.metadata.name ?? '',
};
export const AGE: Column = { name: 'Age', type: 'string', cell: age };

/** The columns a real API server answers per resource (the Table convertors of kube-apiserver). */
export const COLUMNS: Record<string, Column[]> = {
  namespaces: [
    NAME,
    { name: 'Status', type: 'string', cell: (o) => str(o, 'status', 'phase') },
    AGE,
  ],
  nodes: [
    NAME,
    { name: 'Status', type: 'string', cell: () => 'Ready' },
    { name: 'Roles', type: 'string', cell: () => 'control-plane' },
    AGE,
    {
      name: 'Version',
      type: 'string',
      cell: (o) => str(o, 'status', 'nodeInfo', 'kubeletVersion'),
    },
  ],
  pods: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const s = list(pathValue(o, 'status', 'containerStatuses'));
        return `${s.filter((c) => pathValue(c, 'ready') === true).length}/${list(pathValue(o, 'spec', 'containers')).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(
          list(pathValue(o, 'status', 'containerStatuses')).reduce(
            (n: number, c) => n + Number(pathValue(c, 'restartCount') ?? 0),
            0,
          ),
        ),
    },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => str(o, 'status', 'podIP') || '<none>' },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      cell: (o) => str(o, 'spec', 'nodeName') || '<none>',
    },
  ],
  deployments: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(o, 'status', 'readyReplicas')}/${num(o, 'spec', 'replicas')}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(o, 'status', 'updatedReplicas') },
    { name: 'Available', type: 'integer', cell: (o) => num(o, 'status', 'availableReplicas') },
    AGE,
  ],
  replicasets: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => num(o, 'spec', 'replicas') },
    { name: 'Current', type: 'integer', cell: (o) => num(o, 'status', 'replicas') },
    { name: 'Ready', type: 'integer', cell: (o) => num(o, 'status', 'readyReplicas') },
    AGE,
  ],
  jobs: [
    NAME,
    { name: 'Status', type: 'string', cell: jobStatus },
    {
      name: 'Completions',
      type: 'string',
      cell: (o) => `${num(o, 'status', 'succeeded')}/${num(o, 'spec', 'completions') || 1}`,
    },
    {
      name: 'Duration',
      type: 'string',
      cell: (o) => {
        const start = pathValue(o, 'status', 'startTime');
        const end = pathValue(o, 'status', 'completionTime');
        return start
          ? humanDuration((end ? Date.parse(String(end)) : Date.now()) - Date.parse(String(start)))
          : '';
      },
    },
    AGE,
  ],
  cronjobs: [
    NAME,
    { name: 'Schedule', type: 'string', cell: (o) => str(o, 'spec', 'schedule') },
    { name: 'Timezone', type: 'string', cell: (o) => str(o, 'spec', 'timeZone') || '<none>' },
    {
      name: 'Suspend',
      type: 'string',
      cell: (o) => String(pathValue(o, 'spec', 'suspend') ?? false),
    },
    { name: 'Active', type: 'integer', cell: (o) => list(pathValue(o, 'status', 'active')).length },
    {
      name: 'Last Schedule',
      type: 'string',
      cell: (o) => {
        const t = pathValue(o, 'status', 'lastScheduleTime');
        return t ? humanDuration(Date.now() - Date.parse(String(t))) : '<none>';
      },
    },
    AGE,
  ],
  services: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => str(o, 'spec', 'type') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => str(o, 'spec', 'clusterIP') || '<none>' },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        list(pathValue(o, 'spec', 'ports'))
          .map(
            (p) => `${String(pathValue(p, 'port'))}/${String(pathValue(p, 'protocol') ?? 'TCP')}`,
          )
          .join(',') || '<none>',
    },
    AGE,
  ],
  ingresses: [
    NAME,
    { name: 'Class', type: 'string', cell: (o) => str(o, 'spec', 'ingressClassName') || '<none>' },
    {
      name: 'Hosts',
      type: 'string',
      cell: (o) =>
        list(pathValue(o, 'spec', 'rules'))
          .map((r) => String(pathValue(r, 'host') ?? '*'))
          .join(',') || '*',
    },
    { name: 'Address', type: 'string', cell: () => '' },
    {
      name: 'Ports',
      type: 'string',
      cell: (o) => (pathValue(o, 'spec', 'tls') ? '80, 443' : '80'),
    },
    AGE,
  ],
  configmaps: [
    NAME,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys((o.data as object | undefined) ?? {}).length,
    },
    AGE,
  ],
  serviceaccounts: [
    NAME,
    { name: 'Secrets', type: 'integer', cell: (o) => list(o.secrets).length },
    AGE,
  ],
  httproutes: [
    NAME,
    {
      name: 'Hostnames',
      type: 'string',
      cell: (o) => JSON.stringify(pathValue(o, 'spec', 'hostnames') ?? []),
    },
    AGE,
  ],
};
