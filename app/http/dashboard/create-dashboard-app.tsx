import { Hono } from 'hono';
import type { Engine } from '../../../core/engine.js';
import { isSlipwayError } from '../../../core/errors.js';
import type { Logger } from '../../../core/types.js';
import type { Auth } from '../auth.js';
import { toHttpFailure } from '../errors.js';
import { dashboardRoot } from '../links.js';
import { waitSeconds, wholeNumber } from '../paging.js';
import { isActive, jobRowJson, jobSubject } from './format.js';
import { JobPage } from './job-page.js';
import { sendPage } from './layout.js';
import { JOB_PAGE_SCRIPT, JOBS_TABLE_SCRIPT } from './live-scripts.js';
import {
  driftedWorkspaces,
  jobState,
  MAX_WORKSPACES,
  pausedWorkspaces,
  pendingDeploys,
  previewWorkspaces,
  RECENT_JOBS,
  recentJobs,
  workspaceNames,
} from './live-state.js';
import { LoginPage } from './login-page.js';
import { OverviewPage } from './overview-page.js';
import { scopeViews } from './scope-views.js';
import {
  closeSession,
  type DashboardEnv,
  openSession,
  requireSession,
  returnPath,
  sessionIdentity,
} from './session.js';

export interface DashboardOptions {
  engine: Engine;
  auth: Auth;
  logger: Logger;
}

/** Log lines a job page starts with; the script fetches any beyond. */
const MAX_PAGE_LOG_LINES = 10_000;

/**
 * The read-only web dashboard: sign in with an API token (kept in the `slipway_session` cookie),
 * an overview of workspaces, recent jobs and nullplatform scopes, and a page per job whose log
 * and status follow the job live. Mounted at the root, it owns only `/`, `/login`, `/logout`,
 * `/jobs/:id` and `/dashboard/...`.
 */
export function createDashboardApp({ engine, auth, logger }: DashboardOptions) {
  const app = new Hono<DashboardEnv>();
  const page = requireSession(auth, 'page');
  const json = requireSession(auth, 'json');
  app.onError((error, c) => {
    const failure = toHttpFailure(error, logger, c);
    if (c.req.path.startsWith('/dashboard/')) {
      return c.json({ message: failure.message }, failure.status);
    }
    const body = <p class="error">{failure.message}</p>;
    return sendPage(c, { title: 'Error', body, status: failure.status, signedIn: true });
  });

  /** The sign-in form; a person already signed in goes to the overview. */
  app.get('/login', async (c) => {
    const next = returnPath(c.req.query('next'));
    if (await sessionIdentity(c, auth)) return c.redirect(`${dashboardRoot(c)}${next ?? ''}`, 302);
    return sendPage(c, { title: 'Sign in', body: <LoginPage next={next} /> });
  });

  /** Signs in: a valid token becomes the session cookie; a bad one shows the form again (401). */
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const next = returnPath(typeof form.next === 'string' ? form.next : undefined);
    const fail = (error: string) =>
      sendPage(c, {
        title: 'Sign in',
        body: <LoginPage error={error} next={next} />,
        status: 401,
      });
    if (!token) return fail('Paste an API token to sign in.');
    try {
      const identity = await auth.verifyToken(token);
      logger.info({ subject: identity.subject }, 'dashboard sign-in');
    } catch (error) {
      if (!isSlipwayError(error, 'UNAUTHENTICATED')) throw error;
      return fail(`That token was refused: ${error.message}.`);
    }
    openSession(c, token);
    return c.redirect(`${dashboardRoot(c)}${next ?? ''}`, 303);
  });

  /** Signs out: the cookie is cleared. SameSite=Strict keeps other sites from doing it. */
  app.post('/logout', (c) => {
    closeSession(c);
    return c.redirect(`${dashboardRoot(c)}login`, 303);
  });

  /** The overview: workspaces, recent jobs (live), scopes with their traffic split. */
  app.get('/', page, (c) => {
    const workspaces = engine.workspaces.list({
      offset: 0,
      limit: MAX_WORKSPACES,
      sort: { field: 'name', direction: 'asc' },
    }).items;
    const jobsPage = wholeNumber(c.req.query('page'), 'page', 0, 1_000_000, 0);
    const { jobs, total } = recentJobs(engine, jobsPage);
    const data = {
      workspaces,
      pendingDeploys: pendingDeploys(engine, workspaces),
      jobs,
      jobsPage,
      olderJobs: (jobsPage + 1) * RECENT_JOBS < total,
      workspaceNames: new Map(workspaces.map((ws) => [ws.id, ws.name])),
      scopes: scopeViews(engine),
      drifted: driftedWorkspaces(engine, workspaces),
      paused: pausedWorkspaces(engine, workspaces),
      previews: previewWorkspaces(engine, workspaces),
    };
    return sendPage(c, {
      title: 'Overview',
      body: <OverviewPage data={data} />,
      signedIn: true,
      // Only the newest jobs change: older pages stay as they are.
      ...(jobsPage === 0 ? { script: JOBS_TABLE_SCRIPT } : {}),
    });
  });

  /** One job and its log; while it may still change, a script follows it. */
  app.get('/jobs/:id', page, (c) => {
    const job = engine.jobs.get(c.req.param('id'));
    const log = engine.jobs.logs(job.id, 0, MAX_PAGE_LOG_LINES);
    const body = <JobPage job={job} subject={jobSubject(job, workspaceNames(engine))} log={log} />;
    // A long log is sent in part; the script fetches the rest, and follows it while it grows.
    const follow = isActive(job.status) || log.length === MAX_PAGE_LOG_LINES;
    const script = follow ? JOB_PAGE_SCRIPT : undefined;
    return sendPage(c, { title: `Job ${job.id.slice(0, 8)}`, body, signedIn: true, script });
  });

  /** The overview's jobs table as JSON, formatted as shown: `{jobs: [{id, status, badge, ...}]}`. */
  app.get('/dashboard/jobs.json', json, (c) => {
    const names = workspaceNames(engine);
    c.header('Cache-Control', 'no-store');
    return c.json({ jobs: recentJobs(engine).jobs.map((job) => jobRowJson(job, names)) });
  });

  /**
   * A job's status and its log lines from `sequence` on, for the job page's script. With `wait`
   * (seconds), held while there is no new line and the job runs, as the REST logs route is.
   *
   * @example
   * GET /dashboard/jobs/5b1e.../state?sequence=12&wait=20
   * // {"status":"RUNNING","badge":"badge b-blue","active":true,"lines":["working"],"nextSequence":13,...}
   */
  app.get('/dashboard/jobs/:id/state', json, async (c) => {
    const sequence = wholeNumber(
      c.req.query('sequence'),
      'sequence',
      0,
      Number.MAX_SAFE_INTEGER,
      0,
    );
    const wait = waitSeconds(c.req.query('wait'));
    const id = c.req.param('id');
    if (wait > 0) await engine.jobs.awaitLogs(id, sequence, 1, wait * 1000, c.req.raw.signal);
    c.header('Cache-Control', 'no-store');
    return c.json(jobState(engine, id, sequence));
  });

  return app;
}
