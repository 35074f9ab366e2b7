import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DeleteOptions, deleteObject } from './delete-object.js';
import { parseBody, queryDryRun, queryInt, sendJson } from './http-io.js';
import { isPlainObject, pathValue, type StoredObject } from './kube-object.js';
import type { ApiRoute } from './parse-api-path.js';
import { asListItem, selectObjects } from './read-handlers.js';
import { apiVersionOf } from './resource-registry.js';
import type { ServerState } from './server-state.js';

const JOB_ORPHAN_WARNING =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';

/** DeleteOptions from the query and from a JSON body (both are accepted by the API server). */
function deleteOptions(params: URLSearchParams, body: string): DeleteOptions {
  const options: DeleteOptions = { dryRun: queryDryRun(params) };
  const fromBody = body.trim() ? parseBody(body, 'application/json') : {};
  const b = isPlainObject(fromBody) ? fromBody : {};
  const orphan =
    params.get('orphanDependents') ??
    (typeof b.orphanDependents === 'boolean' ? String(b.orphanDependents) : null);
  const policy =
    params.get('propagationPolicy') ??
    (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
  if (policy) options.propagationPolicy = policy;
  else if (orphan !== null) options.propagationPolicy = orphan === 'true' ? 'Orphan' : 'Background';
  const grace =
    queryInt(params, 'gracePeriodSeconds') ??
    (typeof b.gracePeriodSeconds === 'number' ? b.gracePeriodSeconds : undefined);
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) options.dryRun = true;
  const pre = b.preconditions;
  if (isPlainObject(pre)) {
    options.preconditions = {};
    if (typeof pre.uid === 'string') options.preconditions.uid = pre.uid;
    if (typeof pre.resourceVersion === 'string')
      options.preconditions.resourceVersion = pre.resourceVersion;
  }
  return options;
}

/**
 * DELETE on an object: 200 with the object while it is still going (graceful pod, terminating
 * namespace, foreground deletion) or when its storage returns deleted objects (pods, services,
 * namespaces); otherwise 200 with a Success Status naming it.
 */
export function deleteHandler(
  state: ServerState,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  body: string,
): void {
  const { resource } = route;
  const options = deleteOptions(params, body);
  const result = deleteObject(state.store, resource, route.namespace, route.name ?? '', options);
  const headers: Record<string, string> = {};
  if (resource.plural === 'jobs' && options.propagationPolicy === undefined)
    headers.Warning = JOB_ORPHAN_WARNING;
  if (result.pending || resource.returnsDeletedObject) {
    sendJson(res, 200, result.object, headers);
    return;
  }
  const details: Record<string, unknown> = { name: route.name };
  if (resource.group) details.group = resource.group;
  details.kind = resource.plural;
  details.uid = result.object.metadata.uid;
  sendJson(
    res,
    200,
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
    headers,
  );
}

/** DELETE on a collection (with selectors): deletes each match, answers the list of them. */
export function deleteCollectionHandler(
  state: ServerState,
  _req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  body: string,
): void {
  const { resource } = route;
  const options = deleteOptions(params, body);
  const deleted: StoredObject[] = [];
  for (const object of selectObjects(state, route, params)) {
    const name = String(pathValue(object, 'metadata', 'name'));
    deleted.push(
      deleteObject(state.store, resource, object.metadata.namespace, name, options).object,
    );
  }
  sendJson(res, 200, {
    kind: `${resource.kind}List`,
    apiVersion: apiVersionOf(resource),
    metadata: { resourceVersion: String(state.store.resourceVersion) },
    items: deleted.map((o) => asListItem(resource, o)),
  });
}
