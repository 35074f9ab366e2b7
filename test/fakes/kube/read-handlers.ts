import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFieldSelector } from './field-selector.js';
import { queryInt, sendJson } from './http-io.js';
import type { StoredObject } from './kube-object.js';
import { parseLabelSelector } from './label-selector.js';
import type { ApiRoute } from './parse-api-path.js';
import { apiVersionOf, type ResourceDef } from './resource-registry.js';
import type { ServerState } from './server-state.js';
import { badRequest, expired, notFound } from './status-error.js';
import { toTable, wantsTable } from './table-convert.js';

/** List items of built-in kinds carry no apiVersion and kind (custom resources' do). */
export function asListItem(resource: ResourceDef, object: StoredObject): StoredObject {
  if (resource.custom) return object;
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as StoredObject;
}

function encodeContinue(resourceVersion: number, after: string): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start: after }),
  ).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      rv: number;
      start: string;
    };
    if (typeof parsed.rv !== 'number' || typeof parsed.start !== 'string')
      throw new Error('bad token');
    return parsed;
  } catch {
    throw badRequest(`continue key is not valid: illegal base64 data at input byte 0`);
  }
}

/** The objects of a collection request that pass its selectors. */
export function selectObjects(
  state: ServerState,
  route: ApiRoute,
  params: URLSearchParams,
): StoredObject[] {
  const matchLabels = parseLabelSelector(params.get('labelSelector') ?? undefined);
  const matchFields = parseFieldSelector(
    route.resource.plural,
    params.get('fieldSelector') ?? undefined,
  );
  return state.store
    .list(route.resource.plural, route.namespace)
    .filter((o) => matchLabels(o.metadata.labels) && matchFields(o));
}

/** GET on a collection: a `<Kind>List` (or a Table) with the current resourceVersion, paged by `limit`/`continue`. */
export function listObjects(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
): void {
  const { resource } = route;
  let items = selectObjects(state, route, params);
  const metadata: Record<string, unknown> = {
    resourceVersion: String(state.store.resourceVersion),
  };
  const token = params.get('continue');
  if (token) {
    const { rv, start } = decodeContinue(token);
    if (rv < state.store.oldestResumable)
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}` > start);
  }
  const limit = queryInt(params, 'limit');
  if (limit !== undefined && limit > 0 && items.length > limit) {
    const last = items[limit - 1] as StoredObject;
    metadata.continue = encodeContinue(
      state.store.resourceVersion,
      `${last.metadata.namespace ?? ''}/${last.metadata.name ?? ''}`,
    );
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (wantsTable(req.headers.accept)) {
    sendJson(res, 200, toTable(resource.plural, items, metadata, params.get('includeObject')));
    return;
  }
  sendJson(res, 200, {
    kind: `${resource.kind}List`,
    apiVersion: apiVersionOf(resource),
    metadata,
    items: items.map((o) => asListItem(resource, o)),
  });
}

export function readObject(state: ServerState, route: ApiRoute): StoredObject {
  const name = route.name ?? '';
  const found = state.store.get(route.resource.plural, route.namespace, name);
  if (!found) throw notFound(route.resource, name);
  return found;
}

/** GET on an object (or its status): the object, or a one-row Table. */
export function getObject(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
): void {
  const found = readObject(state, route);
  if (wantsTable(req.headers.accept)) {
    sendJson(
      res,
      200,
      toTable(
        route.resource.plural,
        [found],
        { resourceVersion: found.metadata.resourceVersion },
        params.get('includeObject'),
      ),
    );
    return;
  }
  sendJson(res, 200, found);
}
