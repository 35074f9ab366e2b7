import { apiGroups, RESOURCES, type ResourceDef } from './resource-registry.js';

/** The version the test server reports at `/version`. */
export const SERVER_VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0',
  gitCommit: '7c48c2bd72b9bf5c44d21d7338cc7bea77d0ad2a',
  gitTreeState: 'clean',
  buildDate: '2024-04-17T17:27:08Z',
  goVersion: 'go1.22.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const OBJECT_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function apiResources(resource: ResourceDef): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: resource.plural,
    singularName: resource.singular,
    namespaced: resource.namespaced,
    kind: resource.kind,
    verbs: OBJECT_VERBS,
  };
  if (resource.shortNames) main.shortNames = resource.shortNames;
  if (resource.categories) main.categories = resource.categories;
  const subs = resource.subresources.map((sub) => {
    const entry: Record<string, unknown> = {
      name: `${resource.plural}/${sub}`,
      singularName: '',
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: ['get', 'patch', 'update'],
    };
    if (sub === 'scale')
      Object.assign(entry, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    if (sub === 'log') entry.verbs = ['get'];
    if (sub === 'finalize') entry.verbs = ['update'];
    return entry;
  });
  return [main, ...subs];
}

function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function apiGroup(name: string, version: string) {
  const preferred = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [preferred], preferredVersion: preferred };
}

/**
 * Discovery documents (legacy format, `Content-Type: application/json`, so clients asking for
 * aggregated discovery fall back as they do against an older server), or undefined when
 * `pathname` is not a discovery path.
 */
export function discoveryDocument(pathname: string, serverAddress: string): unknown {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/version') return SERVER_VERSION;
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: apiGroups().map((g) => apiGroup(g.name, g.version)),
    };
  }
  const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
  if (groupMatch) {
    const group = apiGroups().find((g) => g.name === groupMatch[1]);
    return group
      ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group.name, group.version) }
      : undefined;
  }
  const versionMatch = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
  if (versionMatch) {
    const gv = versionMatch[1] as string;
    const resources = RESOURCES.filter((r) => groupVersion(r.group, r.version) === gv);
    if (resources.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: resources.flatMap(apiResources),
    };
  }
  return undefined;
}
