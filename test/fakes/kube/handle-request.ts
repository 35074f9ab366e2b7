import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteCollectionHandler, deleteHandler } from './delete-handlers.js';
import { discoveryDocument } from './discovery.js';
import { faultError } from './fault-injector.js';
import { queryFlag, queryObject, readBody, sendJson, sendStatus, sendText } from './http-io.js';
import { type ApiRoute, parseApiPath } from './parse-api-path.js';
import { getObject, listObjects } from './read-handlers.js';
import { servePodLog } from './serve-pod-log.js';
import type { ServerState } from './server-state.js';
import {
  internalError,
  methodNotAllowed,
  notFoundPath,
  StatusError,
  unauthorized,
} from './status-error.js';
import { serveWatch } from './watch-stream.js';
import { createHandler, getSubresource, patchHandler, replaceHandler } from './write-handlers.js';

/** One received request, as `KubeApiServer.requests` lists it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  /** The HTTP status answered (0 while no answer has started). */
  status: number;
}

const UNAUTHENTICATED = new Set(['/healthz', '/livez', '/readyz', '/version']);

function routeOf(pathname: string): ApiRoute | undefined {
  try {
    return parseApiPath(pathname);
  } catch {
    return undefined;
  }
}

async function dispatch(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: URLSearchParams,
  path: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const body = method === 'GET' ? '' : await readBody(req);
  const { name, subresource } = route;
  if (name === undefined) {
    if (method === 'GET') {
      if (route.watchPrefix || queryFlag(params, 'watch'))
        serveWatch(state, req, res, route, params, path);
      else listObjects(state, req, res, route, params);
    } else if (method === 'POST' && (route.namespace !== undefined || !route.resource.namespaced)) {
      createHandler(state, req, res, route, params, body);
    } else if (method === 'DELETE') {
      deleteCollectionHandler(state, req, res, route, params, body);
    } else {
      throw methodNotAllowed();
    }
    return;
  }
  if (subresource === undefined) {
    if (method === 'GET' && route.watchPrefix) serveWatch(state, req, res, route, params, path);
    else if (method === 'GET') getObject(state, req, res, route, params);
    else if (method === 'PUT') replaceHandler(state, req, res, route, params, body);
    else if (method === 'PATCH') patchHandler(state, req, res, route, params, body);
    else if (method === 'DELETE') deleteHandler(state, res, route, params, body);
    else throw methodNotAllowed();
    return;
  }
  if (subresource === 'log' && method === 'GET') servePodLog(state, res, route, params);
  else if ((subresource === 'status' || subresource === 'scale') && method === 'GET')
    getSubresource(state, res, route);
  else if ((subresource === 'status' || subresource === 'scale') && method === 'PUT')
    replaceHandler(state, req, res, route, params, body);
  else if ((subresource === 'status' || subresource === 'scale') && method === 'PATCH')
    patchHandler(state, req, res, route, params, body);
  else throw methodNotAllowed();
}

/**
 * The HTTP face of the test server: records the request, applies injected faults, serves health
 * and version without auth, checks the bearer token, then discovery or the resource API.
 */
export function createRequestHandler(
  state: ServerState,
  token: string,
  requests: RecordedRequest[],
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://kube.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      method,
      path,
      query: queryObject(url.searchParams),
      contentType: req.headers['content-type'],
      status: 0,
    };
    requests.push(record);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as unknown as { writeHead: (...args: unknown[]) => ServerResponse }).writeHead = (
      ...args: unknown[]
    ) => {
      record.status = Number(args[0]);
      return writeHead(...args);
    };
    try {
      const fault = state.faults.take(method, path);
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault.status !== undefined) throw faultError(fault.status, method, routeOf(path));
      if (['/healthz', '/livez', '/readyz'].includes(path)) {
        sendText(res, 200, 'ok');
        return;
      }
      if (!UNAUTHENTICATED.has(path) && req.headers.authorization !== `Bearer ${token}`)
        throw unauthorized();
      const host = req.headers.host ?? '127.0.0.1';
      const document = method === 'GET' ? discoveryDocument(path, host) : undefined;
      if (document !== undefined) {
        sendJson(res, 200, document);
        return;
      }
      const route = parseApiPath(path);
      if (!route) throw notFoundPath();
      await dispatch(state, req, res, route, url.searchParams, path);
    } catch (error) {
      const status =
        error instanceof StatusError
          ? error
          : internalError(error instanceof Error ? error.message : String(error));
      if (res.headersSent) res.destroy();
      else sendStatus(res, status);
    }
  };
}
