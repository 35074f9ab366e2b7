import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFieldSelector } from './field-selector.js';
import { queryFlag, queryInt } from './http-io.js';
import type { StoredObject } from './kube-object.js';
import { parseLabelSelector } from './label-selector.js';
import type { StoreEvent } from './object-store.js';
import type { ApiRoute } from './parse-api-path.js';
import { apiVersionOf } from './resource-registry.js';
import type { ServerState } from './server-state.js';
import { badRequest, expired } from './status-error.js';
import { toTable, wantsTable } from './table-convert.js';

/** How often a watch that allows bookmarks gets one. */
const BOOKMARK_EVERY_MS = 1000;

interface WatchEvent {
  type: string;
  object: unknown;
}

/**
 * A `?watch=true` stream: newline-delimited JSON events over chunked HTTP, as a real API server
 * sends them. Honours resourceVersion (replay from the event history, 410 Expired as an ERROR
 * event when it is too old), label and field selectors (objects leaving or entering the
 * selection arrive as DELETED or ADDED), timeoutSeconds, allowWatchBookmarks and
 * sendInitialEvents; injected dropWatch faults end it abruptly.
 */
export function serveWatch(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  path: string,
): void {
  const { resource } = route;
  const matchLabels = parseLabelSelector(params.get('labelSelector') ?? undefined);
  const nameSelector = route.name ? `metadata.name=${route.name}` : undefined;
  const fieldSelector = [params.get('fieldSelector'), nameSelector].filter((s) => s).join(',');
  const matchFields = parseFieldSelector(resource.plural, fieldSelector || undefined);
  const timeoutSeconds = queryInt(params, 'timeoutSeconds');
  const bookmarks = queryFlag(params, 'allowWatchBookmarks');
  const sendInitial = queryFlag(params, 'sendInitialEvents');
  const rvParam = params.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam))
    throw badRequest(
      `resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`,
    );
  const from = rvParam === '' ? 0 : Number(rvParam);

  const inScope = (o: StoredObject | undefined): o is StoredObject =>
    o !== undefined &&
    (route.namespace === undefined || o.metadata.namespace === route.namespace) &&
    matchLabels(o.metadata.labels) &&
    matchFields(o);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let open = true;
  const send = (event: WatchEvent) => {
    if (open) res.write(`${JSON.stringify(event)}\n`);
  };
  // `kubectl get -w` watches Tables: each object event carries a one-row Table, and only the
  // first one its column definitions, as kube-apiserver sends them.
  const tables = wantsTable(req.headers.accept);
  let columnsSent = false;
  const sendObject = (type: string, object: StoredObject) => {
    if (!tables) {
      send({ type, object });
      return;
    }
    const table = toTable(
      resource.plural,
      [object],
      { resourceVersion: object.metadata.resourceVersion },
      params.get('includeObject'),
    ) as Record<string, unknown>;
    if (columnsSent) table.columnDefinitions = null;
    columnsSent = true;
    send({ type, object: table });
  };
  const bookmark = (annotations?: Record<string, string>) => {
    const metadata: Record<string, unknown> = {
      resourceVersion: String(state.store.resourceVersion),
    };
    if (annotations) metadata.annotations = annotations;
    send({
      type: 'BOOKMARK',
      object: { kind: resource.kind, apiVersion: apiVersionOf(resource), metadata },
    });
  };
  const deliver = (event: StoreEvent) => {
    if (event.plural !== resource.plural) return;
    const now = inScope(event.object);
    const before = event.type === 'MODIFIED' ? inScope(event.previous) : now;
    if (event.type === 'MODIFIED' && before !== now)
      sendObject(now ? 'ADDED' : 'DELETED', event.object);
    else if (now) sendObject(event.type, event.object);
  };

  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};
  let unregister = () => {};
  const finish = (abrupt: boolean) => {
    if (!open) return;
    if (!abrupt && bookmarks) bookmark();
    open = false;
    for (const timer of timers) clearInterval(timer);
    unsubscribe();
    unregister();
    state.streams.delete(stop);
    if (abrupt) res.destroy();
    else res.end();
  };
  const stop = () => finish(false);
  state.streams.add(stop);
  res.on('close', () => finish(true));

  if (rvParam === '' || rvParam === '0' || sendInitial) {
    for (const object of state.store.list(resource.plural, route.namespace))
      if (inScope(object)) sendObject('ADDED', object);
    if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else if (from < state.store.oldestResumable) {
    send({
      type: 'ERROR',
      object: expired(
        `too old resource version: ${from} (${state.store.oldestResumable + 1})`,
      ).toStatus(),
    });
    finish(false);
    return;
  } else {
    for (const event of state.store.eventsSince(resource.plural, from)) deliver(event);
  }
  unsubscribe = state.store.subscribe(deliver);

  const watch = state.faults.openWatch(req.method ?? 'GET', path, () => finish(true));
  unregister = watch.close;
  if (watch.dropNow) {
    setImmediate(() => finish(true));
    return;
  }
  if (timeoutSeconds !== undefined && timeoutSeconds > 0)
    timers.push(setTimeout(stop, timeoutSeconds * 1000));
  if (bookmarks) timers.push(setInterval(() => bookmark(), BOOKMARK_EVERY_MS));
}
