import { type Context, Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { runGitHttpBackend } from './git-http-backend.js';
import type { GitHubState, RepositoryRecord } from './github-state.js';

type Ctx = Context<GitHubEnv>;

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...TEXT, ...headers } });
}

/** git asks for credentials only after a 401 carrying this challenge. */
const challenge = (message: string) =>
  text(401, `${message}\n`, { 'www-authenticate': 'Basic realm="GitHub"' });

/**
 * The repository a git request may read, or the answer refusing it: public repositories are
 * open; private ones need Basic auth with an installation token covering them (401 with a
 * challenge when missing or wrong, 404 `Repository not found.` when the token does not cover it).
 */
function gitAccess(state: GitHubState, c: Ctx): RepositoryRecord | Response {
  const fullName = `${c.req.param('owner')}/${(c.req.param('repo') ?? '').replace(/\.git$/, '')}`;
  const repository = state.repository(fullName);
  const auth = c.get('auth');
  if (auth.kind === 'bad')
    return challenge(
      'Invalid username or token. Password authentication is not supported for Git operations.',
    );
  const covered = auth.grant?.repositories.includes(fullName.toLowerCase()) ?? false;
  if (repository?.dir && (!repository.private || covered)) return repository;
  if (auth.kind === 'none') return challenge('Authentication required.');
  return text(404, 'Repository not found.\n');
}

async function serve(state: GitHubState, c: Ctx, service: string): Promise<Response> {
  const access = gitAccess(state, c);
  if (access instanceof Response) return access;
  const url = new URL(c.req.url);
  return runGitHttpBackend({
    dir: access.dir ?? '',
    service,
    method: c.req.method,
    query: url.search.slice(1),
    contentType: c.req.header('content-type'),
    contentEncoding: c.req.header('content-encoding'),
    gitProtocol: c.req.header('git-protocol'),
    body: c.req.method === 'POST' ? c.req.raw.body : null,
  });
}

const PUSH_REFUSED = 'Write access to repository not granted.\n';

/**
 * Git smart HTTP at `/<owner>/<name>.git`: fetch and clone (upload-pack) through
 * `git http-backend`; pushes (receive-pack) are refused with 403.
 */
export function createGitRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();
  const repo = '/:owner/:repo{[^/]+\\.git}';

  app.get(`${repo}/info/refs`, (c) => {
    const service = c.req.query('service');
    if (service === 'git-receive-pack') return text(403, PUSH_REFUSED);
    if (service !== 'git-upload-pack') return text(403, 'Please upgrade your git client.\n');
    return serve(state, c, '/info/refs');
  });
  app.post(`${repo}/git-upload-pack`, (c) => serve(state, c, '/git-upload-pack'));
  app.post(`${repo}/git-receive-pack`, () => text(403, PUSH_REFUSED));

  return app;
}
