import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { createAppRoutes } from './app-routes.js';
import { type AuthKind, authenticate, type GitHubEnv } from './authenticate.js';
import { createCheckRunRoutes } from './check-run-routes.js';
import { createDeploymentRoutes } from './deployment-routes.js';
import type { FaultInjector } from './fault-injector.js';
import { faultResponse } from './fault-response.js';
import { createGitRoutes } from './git-routes.js';
import { GitHubError, notFound } from './github-error.js';
import type { GitHubState } from './github-state.js';
import { createHookDeliveryRoutes } from './hook-deliveries.js';
import { createPullRequestRoutes } from './pull-request-routes.js';
import { RateLimits, rateLimitHeaders } from './rate-limits.js';
import { errorReply, reply } from './reply.js';
import { createRepositoryRoutes } from './repository-routes.js';

/** One received request, as `GitHubApiServer.requests` lists it. */
export interface RecordedRequest {
  method: string;
  /** The URL path without `/api/v3` (git paths as they are), without the query. */
  path: string;
  /** The HTTP status answered (0 while no answer has started, e.g. a held request). */
  status: number;
  auth: AuthKind;
  installationId?: number;
}

const API = '/api/v3';

function apiPath(pathname: string): string {
  return pathname === API || pathname.startsWith(`${API}/`) ? pathname.slice(API.length) : pathname;
}

/** GitHub's request ids look like `C0DE:1F2E3:4A5B6C:7D8E9F:66A1B2C3`. */
function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(3)}:${hex(4)}:${hex(4)}:${hex(4)}`;
}

/**
 * The fake GitHub as one Hono app: every request is recorded and authenticated, meets its
 * injected fault, then reaches the REST API under `/api/v3` (with request id and rate-limit
 * headers) or git smart HTTP. Errors become GitHub's JSON bodies in the one `onError`.
 */
export function createGitHubApp(
  state: GitHubState,
  faults: FaultInjector,
  requests: RecordedRequest[],
  webhookSecret: string,
): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();
  const rateLimits = new RateLimits();

  app.use('*', async (c, next) => {
    const pathname = new URL(c.req.url).pathname;
    const auth = await authenticate(c.req.header('authorization'), state);
    const record: RecordedRequest = {
      method: c.req.method,
      path: apiPath(pathname),
      status: 0,
      auth: auth.kind,
    };
    if (auth.grant) record.installationId = auth.grant.installationId;
    requests.push(record);
    const id = requestId();
    c.set('auth', auth);
    c.set('requestId', id);
    await next();
    record.status = c.res.status;
    if (record.path === pathname) return;
    c.res.headers.set('x-github-request-id', id);
    c.res.headers.set('x-github-media-type', 'github.v3; format=json');
    c.res.headers.set('x-github-api-version-selected', '2022-11-28');
    if (!c.res.headers.has('x-ratelimit-limit'))
      // A 304 (a conditional request, nothing changed) costs the caller nothing.
      for (const [name, value] of Object.entries(
        rateLimitHeaders(rateLimits.take(auth, c.res.status !== 304)),
      ))
        c.res.headers.set(name, value);
  });

  app.use('*', async (c, next) => {
    const fault = faults.take(c.req.method, apiPath(new URL(c.req.url).pathname));
    if (fault) {
      await faults.wait(fault);
      const answer = faultResponse(fault, {
        auth: c.get('auth'),
        requestId: c.get('requestId'),
        appId: state.app.id,
      });
      if (answer) return answer;
    }
    await next();
  });

  app.use(`${API}/*`, async (c, next) => {
    const { error } = c.get('auth');
    if (error) throw error;
    await next();
  });

  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const moved = movedPath(state, url.pathname);
    if (!moved) return next();
    const location = `${url.origin}${moved}${url.search}`;
    // git follows the redirect of its first request and goes on at the new address.
    if (!url.pathname.startsWith(`${API}/`))
      return new Response(null, { status: 301, headers: { location } });
    // 301 for reads; 307 (repeat the request as it was, body and all) for writes.
    const status = c.req.method === 'GET' || c.req.method === 'HEAD' ? 301 : 307;
    return reply(
      status,
      {
        message: status === 301 ? 'Moved Permanently' : 'Temporary Redirect',
        url: location,
        documentation_url: 'https://docs.github.com/v3/#http-redirects',
      },
      { location },
    );
  });

  for (const routes of [
    createAppRoutes(state),
    createRepositoryRoutes(state),
    createPullRequestRoutes(state),
    createCheckRunRoutes(state),
    createDeploymentRoutes(state),
    createHookDeliveryRoutes(state, webhookSecret),
  ])
    app.route(API, routes);
  app.route('/', createGitRoutes(state));

  app.notFound(() => errorReply(notFound()));
  app.onError((error) =>
    error instanceof GitHubError
      ? errorReply(error)
      : reply(500, {
          message: `Server Error: ${error.message}`,
          documentation_url: 'https://docs.github.com/rest',
        }),
  );
  return app;
}

/**
 * Where a request naming a renamed or transferred repository by its former name goes: the same
 * path with the repository's name now (REST under `/repos/`, git under `/<owner>/<name>.git`);
 * undefined when the name is not a former one, or a repository has it again. GitHub's REST
 * redirects name the repository by id (`/repositories/<id>/...`), a route this fake does not serve.
 */
function movedPath(state: GitHubState, pathname: string): string | undefined {
  const api = new RegExp(`^${API}/repos/([^/]+)/([^/]+)(/.*)?$`).exec(pathname);
  const git = /^\/([^/]+)\/([^/]+)\.git(\/.*)?$/.exec(pathname);
  const [, owner, name, rest = ''] = api ?? git ?? [];
  if (!owner || !name) return undefined;
  const former = `${owner}/${name}`;
  const record = state.repository(former) ? undefined : state.moved.get(former.toLowerCase());
  if (!record) return undefined;
  return api ? `${API}/repos/${record.fullName}${rest}` : `/${record.fullName}.git${rest}`;
}
