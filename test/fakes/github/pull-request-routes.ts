import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { repositoryOfRequest } from './authorize-repository.js';
import { notFound } from './github-error.js';
import { pullRequestJson } from './github-objects.js';
import type { GitHubState } from './github-state.js';
import { JSON_TYPE } from './reply.js';

/**
 * `GET /repos/:owner/:repo/pulls/:pull_number` (pull_requests: read), with GitHub's conditional
 * requests: the answer carries a weak `ETag` (of the answer and the token that asked), and a
 * request whose `If-None-Match` names it gets 304 with no body, which GitHub does not count
 * against the caller's rate limit.
 */
export function createPullRequestRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/repos/:owner/:repo/pulls/:pull_number', (c) => {
    const repository = repositoryOfRequest(state, c, {
      permission: 'pull_requests',
      access: 'read',
    });
    const number = c.req.param('pull_number');
    const pull = /^\d+$/.test(number)
      ? state.pullRequest(repository.fullName, Number(number))
      : undefined;
    if (!pull) throw notFound();
    const body = JSON.stringify(pullRequestJson(state, repository, pull));
    // GitHub's ETags hold for the token that asked: another token (an installation's next one)
    // gets the whole answer again.
    const token = c.get('auth').grant?.token ?? '';
    const etag = `W/"${createHash('sha256').update(token).update(body).digest('hex')}"`;
    const asked = c.req.header('if-none-match');
    if (asked?.split(',').some((tag) => tag.trim() === etag)) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    return new Response(body, { status: 200, headers: { 'content-type': JSON_TYPE, etag } });
  });

  return app;
}
