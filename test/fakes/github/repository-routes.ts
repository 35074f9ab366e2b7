import { Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { authorizeRepository } from './authorize-repository.js';
import { GitHubError } from './github-error.js';
import { accountJson, repositoryJson } from './github-objects.js';
import type { GitHubState } from './github-state.js';
import { paginate, reply } from './reply.js';

/**
 * Repository routes: what an installation token reaches (`GET /installation/repositories`) and
 * one repository (`GET /repos/:owner/:repo`, 404 when the caller may not see it).
 */
export function createRepositoryRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/installation/repositories', (c) => {
    const grant = c.get('auth').grant;
    if (!grant)
      throw new GitHubError(
        403,
        'This endpoint requires you to be authenticated as an installation.',
      );
    const repositories = grant.repositories.map((r) => state.ensureRepository(r));
    const { page, headers } = paginate(c, repositories);
    return reply(
      200,
      {
        total_count: repositories.length,
        repository_selection: 'selected',
        repositories: page.map((r) => repositoryJson(state, r)),
      },
      headers,
    );
  });

  app.get('/repos/:owner/:repo', (c) => {
    const repository = authorizeRepository(
      state,
      c.get('auth'),
      c.req.param('owner'),
      c.req.param('repo'),
      { permission: 'metadata', access: 'read' },
    );
    return reply(200, repositoryJson(state, repository));
  });

  // Someone's permission on the repository: GitHub's legacy `permission` maps maintain to
  // write and triage to read; `role_name` keeps the role. Not a collaborator: read on a public
  // repository, none on a private one.
  app.get('/repos/:owner/:repo/collaborators/:username/permission', (c) => {
    const repository = authorizeRepository(
      state,
      c.get('auth'),
      c.req.param('owner'),
      c.req.param('repo'),
      { permission: 'metadata', access: 'read' },
    );
    const login = c.req.param('username');
    const role =
      repository.collaborators?.get(login.toLowerCase()) ??
      (repository.private ? undefined : 'read');
    const permission =
      role === 'maintain' ? 'write' : role === 'triage' ? 'read' : (role ?? 'none');
    return reply(200, {
      permission,
      role_name: role ?? 'none',
      user: { ...accountJson(state, state.account(login)), type: 'User' },
    });
  });

  return app;
}
