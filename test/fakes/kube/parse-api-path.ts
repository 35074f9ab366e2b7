import { findResource, type ResourceDef } from './resource-registry.js';
import { notFoundPath } from './status-error.js';

/** Where a resource request points: a collection, an object, or an object's subresource. */
export interface ApiRoute {
  resource: ResourceDef;
  /** The namespace in the URL (undefined: cluster-scoped, or a list across all namespaces). */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path prefix was used. */
  watchPrefix: boolean;
}

/**
 * Parses `/api/v1/...` and `/apis/<group>/<version>/...` resource paths; answers undefined for
 * paths that are not resource paths (discovery, health) and throws 404 for unknown resources.
 */
export function parseApiPath(pathname: string): ApiRoute | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] as string;
    version = parts[2] as string;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = findResource(group, version, rest[2] as string);
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const resource = findResource(group, version, rest[0] as string);
  if (!resource || rest.length > 3) throw notFoundPath();
  if (resource.namespaced && namespace === undefined && rest.length > 1) throw notFoundPath();
  const route: ApiRoute = { resource, watchPrefix };
  if (namespace !== undefined) route.namespace = namespace;
  if (rest[1] !== undefined) route.name = rest[1];
  if (rest[2] !== undefined) {
    if (!resource.subresources.includes(rest[2])) throw notFoundPath();
    route.subresource = rest[2];
  }
  return route;
}
