import type { ApiRoute } from './parse-api-path.js';
import { qualifiedResource } from './resource-registry.js';
import {
  conflict,
  expired,
  forbidden,
  internalError,
  notFound,
  notFoundPath,
  StatusError,
  unauthorized,
} from './status-error.js';

/** A fault to inject: which requests (method, path regexp or substring of the URL path) and what happens. */
export interface Fault {
  method?: string;
  path?: string | RegExp;
  /** Answer this HTTP status with a proper Status body (429 and 503 carry Retry-After: 1). */
  status?: number;
  /** Hold the request this long first. */
  delayMs?: number;
  /** How many matching requests it affects (default 1; Infinity allowed). */
  times?: number;
  /** End open and next matching watch streams abruptly, as a dropped connection does. */
  dropWatch?: boolean;
  /**
   * A set rate: only every `every`-th matching request is affected (5 = 20 % of them),
   * deterministically, so a flaky API can be simulated for as long as `times` allows.
   */
  every?: number;
}

interface ActiveFault {
  fault: Fault;
  remaining: number;
  /** Matching requests seen, for `every`. */
  seen: number;
}

interface OpenWatch {
  method: string;
  path: string;
  drop: () => void;
}

function matches(fault: Fault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  if (fault.path instanceof RegExp) return fault.path.test(path);
  if (typeof fault.path === 'string') return path.includes(fault.path);
  return true;
}

/** Faults injected by tests, consumed by the requests they match. */
export class FaultInjector {
  private active: ActiveFault[] = [];
  private readonly watches = new Set<OpenWatch>();

  inject(fault: Fault): void {
    const entry = { fault, remaining: fault.times ?? 1, seen: 0 };
    if (fault.dropWatch) {
      for (const watch of [...this.watches]) {
        if (entry.remaining > 0 && matches(fault, watch.method, watch.path)) {
          entry.remaining -= 1;
          this.watches.delete(watch);
          watch.drop();
        }
      }
    }
    if (entry.remaining > 0) this.active.push(entry);
  }

  clear(): void {
    this.active = [];
  }

  /** The delay and error status to apply to a request (consuming those faults). */
  take(method: string, path: string): { delayMs: number; status?: number } {
    let delayMs = 0;
    let status: number | undefined;
    for (const entry of this.active) {
      if (entry.fault.dropWatch || entry.remaining <= 0 || !matches(entry.fault, method, path))
        continue;
      if (entry.fault.status === undefined && entry.fault.delayMs === undefined) continue;
      if (status !== undefined && entry.fault.status !== undefined) continue;
      entry.seen += 1;
      if (entry.fault.every !== undefined && entry.seen % entry.fault.every !== 0) continue;
      entry.remaining -= 1;
      delayMs += entry.fault.delayMs ?? 0;
      if (entry.fault.status !== undefined) status = entry.fault.status;
    }
    this.active = this.active.filter((e) => e.remaining > 0);
    return status === undefined ? { delayMs } : { delayMs, status };
  }

  /**
   * Registers an open watch stream; answers true when a pending dropWatch fault wants it dropped
   * right away. `drop` ends it abruptly when a fault injected later matches.
   */
  openWatch(
    method: string,
    path: string,
    drop: () => void,
  ): { dropNow: boolean; close: () => void } {
    const entry = this.active.find(
      (e) => e.fault.dropWatch && e.remaining > 0 && matches(e.fault, method, path),
    );
    if (entry) {
      entry.remaining -= 1;
      this.active = this.active.filter((e) => e.remaining > 0);
      return { dropNow: true, close: () => {} };
    }
    const watch: OpenWatch = { method, path, drop };
    this.watches.add(watch);
    return { dropNow: false, close: () => this.watches.delete(watch) };
  }
}

const VERBS: Record<string, string> = {
  GET: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The Status a real API server (or the proxy in front of it) would answer with this code. */
export function faultError(
  status: number,
  method: string,
  route: ApiRoute | undefined,
): StatusError {
  const name = route?.name ?? '';
  switch (status) {
    case 401:
      return unauthorized();
    case 403: {
      if (!route) return new StatusError(403, 'Forbidden', 'forbidden: injected fault');
      const verb = route.name
        ? (VERBS[method] ?? 'get')
        : method === 'GET'
          ? 'list'
          : (VERBS[method] ?? 'get');
      const where = route.namespace ? ` in the namespace "${route.namespace}"` : '';
      return forbidden(
        route.resource,
        route.name,
        `User "system:serviceaccount:slipway:slipway" cannot ${verb} resource "${route.resource.plural}" in API group "${route.resource.group}"${where}`,
      );
    }
    case 404:
      return route ? notFound(route.resource, name) : notFoundPath();
    case 409:
      return route
        ? conflict(route.resource, name)
        : new StatusError(409, 'Conflict', 'injected conflict');
    case 410:
      return expired('too old resource version: injected fault');
    case 429:
      return new StatusError(
        429,
        'TooManyRequests',
        'Too many requests, please try again later.',
        { retryAfterSeconds: 1 },
        { 'Retry-After': '1' },
      );
    case 500:
      return internalError('injected fault');
    case 503:
      return new StatusError(
        503,
        'ServiceUnavailable',
        'The server is currently unable to handle the request',
        {},
        { 'Retry-After': '1' },
      );
    case 504:
      return new StatusError(
        504,
        'Timeout',
        'The server was unable to return a response in the time allotted, but may still be processing the request',
        {},
      );
    default: {
      const what = route ? qualifiedResource(route.resource) : 'request';
      const reason = status >= 500 ? 'InternalError' : status === 422 ? 'Invalid' : 'BadRequest';
      return new StatusError(status, reason, `injected fault on ${what}`);
    }
  }
}
