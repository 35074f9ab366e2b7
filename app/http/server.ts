import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { TrieRouter } from 'hono/router/trie-router';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Engine } from '../../core/engine.js';
import { SlipwayError } from '../../core/errors.js';
import type { PatternCatalog, TemplateLibrary } from '../../core/patterns/index.js';
import type { Store } from '../../core/store/types.js';
import type { Clock, Logger } from '../../core/types.js';
import type { GitHubApp } from '../github/github-app.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { withRequestContext } from '../request-context.js';
import type { Auth, AuthVariables } from './auth.js';
import { createDashboardApp } from './dashboard/create-dashboard-app.js';
import { createDataTaskApp, pathsRefusingHead } from './datatask.js';
import { reasonPhrase, springError } from './errors.js';
import { createGitHubWebhookApp } from './github.js';
import { createMatatikaApp } from './matatika.js';
import { createMetaKraftwerkApp, feathersError } from './metakraftwerk.js';
import { createNullplatformApp } from './nullplatform.js';
import { createOpenApiApp } from './openapi/index.js';
import { createOperationsApp } from './operations.js';
import { redactPath } from './redact-path.js';
import { createTokensApp } from './tokens.js';

export interface HttpAppOptions {
  engine: Engine;
  templates: TemplateLibrary;
  catalog: PatternCatalog;
  store: Store;
  auth: Auth;
  clock: Clock;
  logger: Logger;
  /** The GitHub App, when it is configured. */
  github?: GitHubApp;
  /** Default: a registry of its own (tests). */
  metrics?: Metrics;
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GitHub's own limit on webhook payloads. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

/**
 * The REST server: one Hono app with a sub-app per surface, sharing the engine and auth. Every
 * request gets a request id (echoed as `X-Request-Id`) that is on each of its log lines.
 */
export function createHttpApp({
  engine,
  templates,
  catalog,
  store,
  auth,
  clock,
  logger,
  github,
  metrics = createMetrics(store, clock),
}: HttpAppOptions) {
  const app = new Hono<{ Variables: AuthVariables & { requestId: string } }>({ strict: false });

  app.use(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await withRequestContext({ requestId }, next);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    // The route pattern, not the path: ids must not become label values.
    const route =
      matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ??
      (c.res.status === 404 ? 'unmatched' : '*');
    metrics.http.observe(
      { method: c.req.method, route, status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
    // A repository URL in the path may carry `user:token@`: never logged (DESIGN.md section 9).
    const path = redactPath(c.req.path);
    const entry = { requestId, method: c.req.method, path, status: c.res.status, ms };
    // 501 is an answer (a route the surface does not implement), not a failure of the server.
    if (c.res.status >= 500 && c.res.status !== 501) logger.error(entry, 'request failed');
    else logger.info(entry, 'request');
  });
  const tooLarge = (c: Context) =>
    surfaceError(c, 413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
  const countBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  // Hono's bodyLimit asks for the request's body stream, and the Node adapter then builds a whole
  // fetch Request around it (0.14 ms of a 1.1 ms webhook delivery). A declared length is checked
  // from its header (Node's parser never reads past it); only a chunked body is counted as it
  // streams in. Reads carry no body and none is read.
  app.use((c, next) => {
    if (BODYLESS.has(c.req.method)) return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) {
      return countBody(c, next);
    }
    return Number(length) > MAX_BODY_BYTES ? Promise.resolve(tooLarge(c)) : next();
  });
  app.use(auth.middleware);

  /** Liveness: the process answers. */
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.route('/', createOpenApiApp());
  app.route('/', createDashboardApp({ engine, auth, logger }));
  app.route('/', createOperationsApp({ engine, store, metrics, logger }));

  app.route('/', createGitHubWebhookApp({ github, logger, metrics }));
  // MetaKraftwerk first: its /api/v1 paths must not fall to Matatika's /api handlers.
  app.route('/api/v1', createMetaKraftwerkApp({ catalog, logger }));
  app.route('/', createMatatikaApp({ engine, logger, metrics, ...(github ? { github } : {}) }));
  app.route('/', createTokensApp({ store, clock, logger }));
  app.route('/', createNullplatformApp({ engine, logger }));
  // DataTask's routes, and the same under the prefix its clients use from outside the cluster.
  const datatask = createDataTaskApp({ engine, templates, catalog, logger });
  const datataskPrefixes = ['', '/apps/deploy-api'];
  for (const prefix of datataskPrefixes) app.route(prefix || '/', datatask);

  const methodsOf = routeMethods(
    app.routes,
    datataskPrefixes.flatMap((prefix) => pathsRefusingHead(datatask).map((p) => prefix + p)),
  );
  app.notFound((c) => {
    const allowed = methodsOf(c.req.path);
    if (c.req.method === 'OPTIONS' && allowed.length > 0) {
      c.header('Allow', [...allowed, 'OPTIONS'].join(', '));
      return c.body(null, 204);
    }
    // A handler of this method that found nothing also ends here: that is a 404.
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header('Allow', allowed.join(', '));
      return surfaceError(
        c,
        405,
        `${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(', ')}`,
      );
    }
    return surfaceError(c, 404, `no route for ${c.req.method} ${c.req.path}`);
  });
  app.onError((error, c) => {
    const status = error instanceof SlipwayError ? error.status : 500;
    if (status >= 500)
      logger.error({ err: error, path: redactPath(c.req.path) }, 'unexpected error');
    const message = status >= 500 ? 'internal error; see the server log' : error.message;
    return springError(c, { status: status as 500, message, problems: [] });
  });
  return app;
}

/** Whose API a path belongs to: each answers errors in its own shape (DESIGN.md section 7). */
function surfaceOf(path: string): 'matatika' | 'metakraftwerk' | 'nullplatform' | 'datatask' {
  if (path === '/api/v1' || path.startsWith('/api/v1/')) return 'metakraftwerk';
  if (/^\/(application|build|release|scope|deployment)(\/|$)/.test(path)) return 'nullplatform';
  if (/^\/(v1|v2|apps\/deploy-api)(\/|$)/.test(path)) return 'datatask';
  // /api is Matatika's; the server's own pages answer in the same Spring shape.
  return 'matatika';
}

/** An error the server answers itself (no route, wrong method, body too large). */
function surfaceError(c: Context, status: ContentfulStatusCode, message: string): Response {
  switch (surfaceOf(c.req.path)) {
    case 'metakraftwerk':
      return feathersError(c, status, message);
    case 'nullplatform':
      return c.json({ message }, status);
    case 'datatask':
      return c.json({ status, error: reasonPhrase(status), message }, status);
    default:
      return springError(c, { status, message, problems: [] });
  }
}

/**
 * The methods the app's routes take at a path (HEAD with GET, except on `headRefused`, whose GET
 * handlers answer HEAD with 405), for a 405's and an OPTIONS' `Allow`: matched by a router of the
 * routes alone, without the middleware every path has.
 */
function routeMethods(
  routes: readonly { method: string; path: string }[],
  headRefused: readonly string[],
) {
  const router = new TrieRouter<true>();
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    router.add(route.method, route.path, true);
    methods.add(route.method);
  }
  const noHead = new TrieRouter<true>();
  for (const path of headRefused) noHead.add('GET', path, true);
  return (path: string): string[] => {
    const allowed = [...methods].filter((method) => router.match(method, path)[0].length > 0);
    if (allowed.includes('GET') && noHead.match('GET', path)[0].length === 0) allowed.push('HEAD');
    return allowed;
  };
}
