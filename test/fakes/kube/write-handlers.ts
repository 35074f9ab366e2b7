import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeObject } from './decode-object.js';
import { mediaType, parseBody, queryDryRun, queryFlag, sendJson } from './http-io.js';
import { jsonMergePatch } from './json-merge-patch.js';
import { jsonPatch } from './json-patch.js';
import { deepCopy, isPlainObject, pathValue, type StoredObject } from './kube-object.js';
import type { ApiRoute } from './parse-api-path.js';
import { readObject } from './read-handlers.js';
import { serverSideApply } from './server-side-apply.js';
import type { ServerState } from './server-state.js';
import { badRequest, notFound, StatusError, unsupportedMediaType } from './status-error.js';
import { strategicMergePatch } from './strategic-merge-patch.js';
import { createObject, updateObject } from './write-object.js';

const APPLY = 'application/apply-patch+yaml';
const PATCHES: Record<string, (target: unknown, patch: unknown) => unknown> = {
  'application/json-patch+json': jsonPatch,
  'application/merge-patch+json': jsonMergePatch,
  'application/strategic-merge-patch+json': strategicMergePatch,
};

/**
 * The field manager of a write: `?fieldManager=`, else what the API server derives from the
 * User-Agent (its part before the first `/`).
 */
function fieldManager(req: IncomingMessage, params: URLSearchParams): string {
  const given = params.get('fieldManager');
  if (given !== null) {
    if (given.length > 128)
      throw new StatusError(
        422,
        'Invalid',
        `fieldManager: Too long: may not be more than 128 bytes`,
      );
    return given;
  }
  return (req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown';
}

/** `autoscaling/v1 Scale` of a Deployment or ReplicaSet. */
function toScale(object: StoredObject): unknown {
  const matchLabels = pathValue(object, 'spec', 'selector', 'matchLabels');
  const selector = isPlainObject(matchLabels)
    ? Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')
    : '';
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: pathValue(object, 'spec', 'replicas') ?? 0 },
    status: { replicas: pathValue(object, 'status', 'replicas') ?? 0, selector },
  };
}

function subresourceOf(route: ApiRoute): 'status' | 'scale' | undefined {
  return route.subresource === 'status' || route.subresource === 'scale'
    ? route.subresource
    : undefined;
}

function respond(res: ServerResponse, route: ApiRoute, status: number, object: StoredObject): void {
  sendJson(res, status, route.subresource === 'scale' ? toScale(object) : object);
}

/** GET of a subresource (status gives the whole object, scale a Scale). */
export function getSubresource(state: ServerState, res: ServerResponse, route: ApiRoute): void {
  respond(res, route, 200, readObject(state, route));
}

/** POST on a collection. */
export function createHandler(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  body: string,
): void {
  const object = decodeObject(route, body, req.headers['content-type']);
  const created = createObject(state.store, route.resource, object, {
    dryRun: queryDryRun(params),
    manager: fieldManager(req, params),
  });
  sendJson(res, 201, created);
}

/** PUT on an object, its status or its scale. */
export function replaceHandler(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  body: string,
): void {
  const before = readObject(state, route);
  const subresource = subresourceOf(route);
  const expect =
    subresource === 'scale' ? { apiVersion: 'autoscaling/v1', kind: 'Scale' } : undefined;
  const input = decodeObject(route, body, req.headers['content-type'], expect ? { expect } : {});
  const options = { dryRun: queryDryRun(params), manager: fieldManager(req, params), subresource };
  respond(res, route, 200, updateObject(state.store, route.resource, before, input, options));
}

/** PATCH on an object, its status or its scale: JSON, merge, strategic merge, or server-side apply. */
export function patchHandler(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  body: string,
): void {
  const type = mediaType(req.headers['content-type']);
  const { resource } = route;
  const accepted = [...Object.keys(PATCHES), APPLY].filter(
    (t) => !(resource.custom && t.startsWith('application/strategic')),
  );
  if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
  const dryRun = queryDryRun(params);
  const subresource = subresourceOf(route);
  if (type !== APPLY && params.has('force'))
    throw new StatusError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );

  if (type === APPLY && subresource === undefined) {
    const manager = params.get('fieldManager');
    if (!manager)
      throw new StatusError(
        422,
        'Invalid',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    const applied = decodeObject(route, body, 'application/yaml', { requireTypeMeta: true });
    if (applied.metadata.managedFields !== undefined)
      throw badRequest('metadata.managedFields must be nil');
    const live = state.store.get(resource.plural, route.namespace, route.name ?? '');
    const wanted = applied.metadata.resourceVersion;
    if (!live && wanted) throw notFound(resource, route.name ?? '');
    const merged = serverSideApply(live, applied, {
      manager,
      force: queryFlag(params, 'force'),
      now: new Date(),
    });
    if (!live) {
      sendJson(
        res,
        201,
        createObject(state.store, resource, merged, { dryRun, manager, applied: true }),
      );
      return;
    }
    sendJson(
      res,
      200,
      updateObject(state.store, resource, live, merged, { dryRun, manager, applied: true }),
    );
    return;
  }

  const before = readObject(state, route);
  const patch = parseBody(body, type === APPLY ? 'application/yaml' : 'application/json');
  const apply = PATCHES[type] ?? jsonMergePatch;
  const current = subresource === 'scale' ? toScale(before) : deepCopy(before);
  const patched = apply(current, patch);
  if (!isPlainObject(patched))
    throw badRequest('the patch produced something other than an object');
  const input = patched as unknown as StoredObject;
  if (!isPlainObject(input.metadata)) input.metadata = {};
  if (input.metadata.name !== before.metadata.name)
    throw badRequest(
      `metadata.name: Invalid value: "${String(input.metadata.name)}": field is immutable`,
    );
  const options = { dryRun, manager: fieldManager(req, params), subresource };
  respond(res, route, 200, updateObject(state.store, resource, before, input, options));
}
