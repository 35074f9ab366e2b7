import { Hono } from 'hono';
import type { GitHubEnv } from './authenticate.js';
import { findInRepository, type Need, repositoryOfRequest } from './authorize-repository.js';
import { applyCheckRunInput, checkRunJson, type RecordedCheckRun } from './check-run-json.js';
import { unprocessable } from './github-error.js';
import type { GitHubState } from './github-state.js';
import { isoTime, paginate, readJson, reply } from './reply.js';
import { resolveCommit } from './resolve-ref.js';
import { validateCheckRun } from './validate-check-run.js';

const READ: Need = { permission: 'checks', access: 'read' };
const WRITE: Need = { permission: 'checks', access: 'write' };

/**
 * The Checks API for check runs: create (201), update (annotations append), get, list for a ref
 * (`?check_name=`, `?status=`, `?filter=latest|all`, latest by default), and list annotations.
 */
export function createCheckRunRoutes(state: GitHubState): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.post('/repos/:owner/:repo/check-runs', async (c) => {
    const repository = repositoryOfRequest(state, c, WRITE);
    const body = await readJson(c);
    const input = validateCheckRun(body, true);
    const sha = input.head_sha ?? '';
    if (repository.dir && resolveCommit(repository.dir, sha) !== sha)
      throw unprocessable(`No commit found for SHA: ${sha}`);
    const suiteKey = `${repository.fullName}@${sha}`;
    if (!state.checkSuites.has(suiteKey)) state.checkSuites.set(suiteKey, state.nextId());
    const run: RecordedCheckRun = {
      id: state.nextId(),
      repository: repository.fullName,
      name: input.name ?? '',
      head_sha: sha,
      status: 'queued',
      conclusion: null,
      external_id: null,
      details_url: null,
      started_at: isoTime(),
      completed_at: null,
      output: { title: null, summary: null, text: null, annotations: [] },
      history: [{ method: 'POST', body }],
    };
    applyCheckRunInput(run, input);
    state.checkRuns.push(run);
    return reply(201, checkRunJson(state, run));
  });

  app.patch('/repos/:owner/:repo/check-runs/:id', async (c) => {
    const run = findInRepository(
      state.checkRuns,
      repositoryOfRequest(state, c, WRITE),
      c.req.param('id'),
    );
    const body = await readJson(c);
    applyCheckRunInput(run, validateCheckRun(body, false));
    run.history.push({ method: 'PATCH', body });
    return reply(200, checkRunJson(state, run));
  });

  app.get('/repos/:owner/:repo/check-runs/:id', (c) =>
    reply(
      200,
      checkRunJson(
        state,
        findInRepository(state.checkRuns, repositoryOfRequest(state, c, READ), c.req.param('id')),
      ),
    ),
  );

  app.get('/repos/:owner/:repo/check-runs/:id/annotations', (c) => {
    const run = findInRepository(
      state.checkRuns,
      repositoryOfRequest(state, c, READ),
      c.req.param('id'),
    );
    const { page, headers } = paginate(c, run.output.annotations);
    const blob = `${state.url}/${run.repository}/blob/${run.head_sha}`;
    return reply(
      200,
      page.map((a) => ({ ...a, blob_href: `${blob}/${a.path}` })),
      headers,
    );
  });

  app.get('/repos/:owner/:repo/commits/:ref/check-runs', (c) => {
    const repository = repositoryOfRequest(state, c, READ);
    const ref = c.req.param('ref');
    const sha = resolveCommit(repository.dir, ref);
    if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`);
    const name = c.req.query('check_name');
    const status = c.req.query('status');
    let runs = state.checkRuns
      .filter((r) => r.repository === repository.fullName && r.head_sha === sha)
      .filter(
        (r) =>
          (name === undefined || r.name === name) && (status === undefined || r.status === status),
      )
      .sort((a, b) => b.id - a.id);
    if (c.req.query('filter') !== 'all')
      runs = runs.filter((r, i) => runs.findIndex((o) => o.name === r.name) === i);
    const { page, headers } = paginate(c, runs);
    return reply(
      200,
      { total_count: runs.length, check_runs: page.map((r) => checkRunJson(state, r)) },
      headers,
    );
  });

  return app;
}
