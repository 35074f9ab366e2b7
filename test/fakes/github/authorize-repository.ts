import type { Context } from 'hono';
import type { Auth, GitHubEnv } from './authenticate.js';
import { notAccessibleByIntegration, notFound, requiresAuthentication } from './github-error.js';
import type { GitHubState, RepositoryRecord } from './github-state.js';

/** What a route needs: an installation permission (`checks`, `deployments`, ...) at a level. */
export interface Need {
  permission: string;
  access: 'read' | 'write';
}

/**
 * The repository a request may use, as GitHub decides: an installation token must cover it and
 * carry the permission. Reads of a repository the caller cannot see answer 404 (GitHub hides
 * private repositories); writes answer 403 `Resource not accessible by integration`, or 401
 * `Requires authentication` without credentials. Public repositories are readable by anyone.
 */
export function authorizeRepository(
  state: GitHubState,
  auth: Auth,
  owner: string,
  name: string,
  need: Need,
): RepositoryRecord {
  const repository = state.repository(`${owner}/${name}`);
  if (!repository) throw notFound();
  const key = repository.fullName.toLowerCase();
  const grant = auth.kind === 'installation' ? auth.grant : undefined;
  const covered = grant?.repositories.includes(key) ?? false;
  if (!covered) {
    if (need.access === 'read' && !repository.private) return repository;
    if (need.access === 'read') throw notFound();
    throw auth.kind === 'none' ? requiresAuthentication() : notAccessibleByIntegration();
  }
  const level = grant?.permissions[need.permission];
  const enough = need.access === 'read' ? level === 'read' || level === 'write' : level === 'write';
  if (!enough) throw notAccessibleByIntegration();
  return repository;
}

/** `authorizeRepository` for the `:owner/:repo` of a route's path. */
export function repositoryOfRequest(
  state: GitHubState,
  c: Context<GitHubEnv>,
  need: Need,
): RepositoryRecord {
  return authorizeRepository(
    state,
    c.get('auth'),
    c.req.param('owner') ?? '',
    c.req.param('repo') ?? '',
    need,
  );
}

/** The record of `repository` with the path's `id`, or 404 as GitHub answers. */
export function findInRepository<T extends { id: number; repository: string }>(
  records: T[],
  repository: RepositoryRecord,
  id: string,
): T {
  const found = records.find((r) => r.id === Number(id) && r.repository === repository.fullName);
  if (!found) throw notFound();
  return found;
}
