import { Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { findInRepository, type Need, repositoryOfRequest } from './authorize-repository.js';
import { deploymentJson, type RecordedDeployment, statusJson } from './deployment-json.js';
import { unprocessable } from './github-error.js';
import type { GitHubState } from './github-state.js';
import { isoTime, paginate, readJson, reply } from './reply.js';
import { resolveCommit } from './resolve-ref.js';
import {
  checkRequiredContexts,
  validateDeployment,
  validateDeploymentStatus,
} from './validate-deployment.js';

const READ: Need = { permission: 'deployments', access: 'read' };
const WRITE: Need = { permission: 'deployments', access: 'write' };

/**
 * The Deployments API: create (201; the ref resolved to a commit; 409 while required contexts
 * are not green), list (`?sha=`, `?ref=`, `?environment=`, newest first), get, and statuses
 * (create with `auto_inactive`, list newest first).
 */
export function createDeploymentRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.post('/repos/:owner/:repo/deployments', async (c) => {
    const repository = repositoryOfRequest(state, c, WRITE);
    const input = validateDeployment(await readJson(c));
    const sha = resolveCommit(repository.dir, input.ref);
    if (!sha) throw unprocessable(`No ref found for: ${input.ref}`);
    checkRequiredContexts(state, repository.fullName, sha, input);
    const deployment: RecordedDeployment = {
      id: state.nextId(),
      repository: repository.fullName,
      sha,
      ...input,
      created_at: isoTime(),
      statuses: [],
    };
    state.deployments.push(deployment);
    return reply(201, deploymentJson(state, deployment));
  });

  app.get('/repos/:owner/:repo/deployments', (c) => {
    const repository = repositoryOfRequest(state, c, READ);
    const { sha, ref, environment, task } = c.req.query();
    const found = state.deployments
      .filter((d) => d.repository === repository.fullName)
      .filter((d) => (!sha || d.sha === sha) && (!ref || d.ref === ref))
      .filter((d) => (!environment || d.environment === environment) && (!task || d.task === task))
      .sort((a, b) => b.id - a.id);
    const { page, headers } = paginate(c, found);
    return reply(
      200,
      page.map((d) => deploymentJson(state, d)),
      headers,
    );
  });

  app.get('/repos/:owner/:repo/deployments/:id', (c) =>
    reply(
      200,
      deploymentJson(
        state,
        findInRepository(state.deployments, repositoryOfRequest(state, c, READ), c.req.param('id')),
      ),
    ),
  );

  app.post('/repos/:owner/:repo/deployments/:id/statuses', async (c) => {
    const deployment = findInRepository(
      state.deployments,
      repositoryOfRequest(state, c, WRITE),
      c.req.param('id'),
    );
    const input = validateDeploymentStatus(await readJson(c));
    if (input.environment) deployment.environment = input.environment;
    const { auto_inactive: autoInactive, environment: _environment, ...fields } = input;
    const status = {
      id: state.nextId(),
      ...fields,
      environment: deployment.environment,
      created_at: isoTime(),
    };
    deployment.statuses.push(status);
    if (input.state === 'success' && autoInactive) {
      // GitHub docs: prior non-transient, non-production deployments to the same environment
      // that had succeeded get an `inactive` status.
      for (const prior of state.deployments) {
        const same =
          prior.repository === deployment.repository &&
          prior.environment === deployment.environment;
        if (
          !same ||
          prior.id >= deployment.id ||
          prior.transient_environment ||
          prior.production_environment
        )
          continue;
        if (prior.statuses.at(-1)?.state !== 'success') continue;
        prior.statuses.push({
          id: state.nextId(),
          state: 'inactive',
          description: '',
          environment: prior.environment,
          environment_url: '',
          log_url: '',
          created_at: status.created_at,
        });
      }
    }
    return reply(201, statusJson(state, deployment, status));
  });

  app.get('/repos/:owner/:repo/deployments/:id/statuses', (c) => {
    const deployment = findInRepository(
      state.deployments,
      repositoryOfRequest(state, c, READ),
      c.req.param('id'),
    );
    const { page, headers } = paginate(c, [...deployment.statuses].reverse());
    return reply(
      200,
      page.map((s) => statusJson(state, deployment, s)),
      headers,
    );
  });

  return app;
}
