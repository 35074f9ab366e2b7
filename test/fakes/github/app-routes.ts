import { type Context, Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { GitHubError, jwtRefused, notFound } from './github-error.js';
import { appJson, installationJson, repositoryJson } from './github-objects.js';
import { APP_PERMISSIONS, type GitHubState, type InstallationRecord } from './github-state.js';
import { isoTime, paginate, readJson, reply } from './reply.js';

type Ctx = Context<GitHubEnv>;

const NOT_IN_INSTALLATION =
  'There is at least one repository that does not exist or is not accessible to the parent installation.';
const NOT_GRANTED = 'The permissions requested are not granted to this installation.';

/** App routes answer only to the App's JWT, as GitHub's do. */
export function requireApp(c: Ctx): void {
  if (c.get('auth').kind !== 'jwt') throw jwtRefused('A JSON web token could not be decoded');
}

function installationOf(state: GitHubState, id: string): InstallationRecord {
  const installation = state.installations.get(Number(id));
  if (!installation) throw notFound();
  return installation;
}

/** The repositories an access token request narrows to (`repositories` names or `repository_ids`). */
function narrowedRepositories(
  state: GitHubState,
  installation: InstallationRecord,
  body: Record<string, unknown>,
): string[] {
  const { repositories: names, repository_ids: ids } = body;
  if (names === undefined && ids === undefined) return installation.repositories;
  const wanted: string[] = [];
  for (const name of Array.isArray(names) ? names : []) {
    wanted.push(`${installation.account.login}/${String(name)}`.toLowerCase());
  }
  for (const id of Array.isArray(ids) ? ids : []) {
    const repository = [...state.repositories.values()].find((r) => r.id === Number(id));
    wanted.push(repository ? repository.fullName.toLowerCase() : `#${String(id)}`);
  }
  if (wanted.some((r) => !installation.repositories.includes(r)))
    throw new GitHubError(422, NOT_IN_INSTALLATION);
  return wanted;
}

function narrowedPermissions(body: Record<string, unknown>): Record<string, string> {
  const requested = body.permissions;
  if (typeof requested !== 'object' || requested === null) return { ...APP_PERMISSIONS };
  const permissions: Record<string, string> = {};
  for (const [name, level] of Object.entries(requested)) {
    const granted = APP_PERMISSIONS[name];
    if (
      !granted ||
      (level === 'write' && granted !== 'write') ||
      (level !== 'read' && level !== 'write')
    )
      throw new GitHubError(422, NOT_GRANTED);
    permissions[name] = level;
  }
  return permissions;
}

/**
 * Routes the App calls with its JWT: itself, its installations, installation access tokens
 * (`POST /app/installations/:id/access_tokens`, optionally narrowed), and the installation on
 * a repository, organization or user.
 */
export function createAppRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/app', (c) => {
    requireApp(c);
    return reply(200, appJson(state));
  });

  app.get('/app/installations', (c) => {
    requireApp(c);
    const { page, headers } = paginate(c, [...state.installations.values()]);
    return reply(
      200,
      page.map((i) => installationJson(state, i)),
      headers,
    );
  });

  app.get('/app/installations/:id', (c) => {
    requireApp(c);
    return reply(200, installationJson(state, installationOf(state, c.req.param('id'))));
  });

  app.post('/app/installations/:id/access_tokens', async (c) => {
    requireApp(c);
    const installation = installationOf(state, c.req.param('id'));
    if (installation.suspendedAt)
      throw new GitHubError(403, 'This installation has been suspended');
    const body = await readJson(c);
    const repositories = narrowedRepositories(state, installation, body);
    const grant = state.issueToken(installation, repositories, narrowedPermissions(body));
    const narrowed = body.repositories !== undefined || body.repository_ids !== undefined;
    return reply(201, {
      token: grant.token,
      expires_at: isoTime(grant.expiresAt),
      permissions: grant.permissions,
      repository_selection: 'selected',
      ...(narrowed
        ? {
            repositories: repositories.map((r) => repositoryJson(state, state.ensureRepository(r))),
          }
        : {}),
    });
  });

  app.get('/repos/:owner/:repo/installation', (c) => {
    requireApp(c);
    const installation = state.installationOn(`${c.req.param('owner')}/${c.req.param('repo')}`);
    if (!installation) throw notFound();
    return reply(200, installationJson(state, installation));
  });

  const byAccount = (c: Ctx, login: string) => {
    requireApp(c);
    const installation = [...state.installations.values()].find(
      (i) => i.account.login.toLowerCase() === login.toLowerCase(),
    );
    if (!installation) throw notFound();
    return reply(200, installationJson(state, installation));
  };
  app.get('/orgs/:org/installation', (c) => byAccount(c, c.req.param('org')));
  app.get('/users/:user/installation', (c) => byAccount(c, c.req.param('user')));

  return app;
}
