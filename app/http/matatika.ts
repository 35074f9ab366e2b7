import { Hono } from 'hono';
import { streamText } from 'hono/streaming';
import type { Engine, WorkspaceDrift } from '../../core/engine.js';
import { SlipwayError } from '../../core/errors.js';
import { LABELS, MANAGED_BY_VALUE } from '../../core/runtime/types.js';
import { redact } from '../../core/source/index.js';
import { JOB_SORT_FIELDS, type JobFilter, WORKSPACE_SORT_FIELDS } from '../../core/store/types.js';
import {
  JOB_STATUSES,
  JOB_TYPES,
  type Job,
  type Logger,
  type Workspace,
} from '../../core/types.js';
import {
  createWorkspaceSchema,
  pauseWorkspaceSchema,
  updateWorkspaceSchema,
  type WorkspacePause,
  type WorkspacePreview,
} from '../../core/workspaces/index.js';
import type { GitHubApp } from '../github/github-app.js';
import type { Metrics } from '../metrics.js';
import { type AuthVariables, type Identity, requireIdentity } from './auth.js';
import { springErrorHandler } from './errors.js';
import { baseUrl } from './links.js';
import { pageInfo, pageLinks, readPaging, waitSeconds, wholeNumber } from './paging.js';
import { type PushFields, pushFields } from './push-payload.js';
import { parseWith, readJson, refuseUnknownQuery } from './validate.js';
import { checkGitHubSignature } from './webhook-signature.js';

export interface MatatikaOptions {
  engine: Engine;
  logger: Logger;
  /** Counts the deliveries of the workspace webhooks (`source: workspace`). */
  metrics?: Pick<Metrics, 'webhooks'>;
  /** With the GitHub App on: deploys asked here report to GitHub as a push's do. */
  github?: Pick<GitHubApp, 'originFor'>;
}

const MAX_LOG_LINES = 10_000;
const NDJSON_TYPES = ['application/x-ndjson', 'application/stream+json'];

/**
 * The Matatika surface (seed 000, DESIGN.md section 7.1): workspaces, deployments as queued jobs
 * with HAL links, job logs, withdraw, and the signed GitHub webhook. Errors in Spring's shape.
 */
export function createMatatikaApp({ engine, logger, github, metrics }: MatatikaOptions) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.onError(springErrorHandler(logger));

  /** Create a workspace: `{name, repositoryUrl, branch?, namespace?, alias?, timeoutSeconds?}`. */
  app.post('/api/workspaces', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    const input = parseWith(createWorkspaceSchema, await readJson(c), 'request body');
    if (input.previews) refusePreviewsWithoutApp(github);
    const workspace = engine.workspaces.create(input, identity.subject);
    const body = workspaceJson(workspace, baseUrl(c), identity, extrasOf(engine, workspace.id));
    c.header('Location', body._links.self.href);
    return c.json(body, 201);
  });

  /** Workspaces, paged (`page`, `size`, `sort=name|created|lastModified|status[,asc|desc]`). */
  app.get('/api/workspaces', async (c) => {
    const identity = await requireIdentity(c);
    const paging = readPaging(c, WORKSPACE_SORT_FIELDS);
    const page = engine.workspaces.list(paging);
    const base = baseUrl(c);
    return c.json({
      _embedded: {
        workspaces: page.items.map((ws) =>
          workspaceJson(ws, base, identity, extrasOf(engine, ws.id)),
        ),
      },
      _links: pageLinks(c, base, page, paging),
      page: pageInfo(page, paging),
    });
  });

  app.get('/api/workspaces/:id', async (c) => {
    const identity = await requireIdentity(c);
    const workspace = engine.workspaces.get(c.req.param('id'));
    return c.json(workspaceJson(workspace, baseUrl(c), identity, extrasOf(engine, workspace.id)));
  });

  /** Change a workspace (its owner or the admin): the fields given change, the others stay. */
  app.put('/api/workspaces/:id', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    const id = c.req.param('id');
    requireOwner(engine.workspaces.get(id), identity, 'change it');
    const input = parseWith(updateWorkspaceSchema, await readJson(c), 'request body');
    if (input.previews) refusePreviewsWithoutApp(github);
    const updated = engine.workspaces.update(id, input);
    return c.json(workspaceJson(updated, baseUrl(c), identity, extrasOf(engine, id)));
  });

  /** Delete a workspace (its owner or the admin), withdrawing its jobs and deleting what it deployed. */
  app.delete('/api/workspaces/:id', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    requireOwner(engine.workspaces.get(c.req.param('id')), identity, 'delete it');
    await engine.workspaces.delete(c.req.param('id'), identity.subject);
    return c.body(null, 204);
  });

  /**
   * Pause the workspace's deploys (`{reason?}`): pushes, re-runs, polls and drift heals are
   * held (a STOPPED job each, and a skipped check run), a deploy asked for here is refused
   * unless forced. Any identity may pause: it stops changes, it makes none.
   */
  app.put('/api/workspaces/:id/paused', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    const id = c.req.param('id');
    const workspace = engine.workspaces.get(id);
    const input = parseWith(pauseWorkspaceSchema, await readJson(c), 'request body');
    // Checked once the body is in, with nothing awaited before the pause is written: a request
    // sent slowly must not find the workspace unpaused and then take over a pause made since.
    requireMayLift(workspace, engine.workspaces.pauseOf(id), identity, 'change the pause');
    engine.workspaces.pause(id, identity.subject, input.reason, input.until);
    // Not the deployment secret: pausing is scripted, and its answer lands in CI logs.
    return c.json(
      workspaceJson(engine.workspaces.get(id), baseUrl(c), identity, extrasOf(engine, id), {
        secret: false,
      }),
    );
  });

  /**
   * Resume the workspace's deploys: 200 with the workspace and, when deploys were held during
   * the pause, the deploy of the branch head it queued (`_embedded.job`).
   */
  app.delete('/api/workspaces/:id/paused', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    const workspace = engine.workspaces.get(c.req.param('id'));
    const pause = engine.workspaces.pauseOf(workspace.id);
    requireMayLift(workspace, pause, identity, 'resume its deploys');
    const origin = pause && pause.held > 0 ? github?.originFor(workspace, 'deploy') : undefined;
    const { job } = engine.workspaces.resume(workspace.id, identity.subject, origin);
    const base = baseUrl(c);
    return c.json({
      ...workspaceJson(
        engine.workspaces.get(workspace.id),
        base,
        identity,
        extrasOf(engine, workspace.id),
        { secret: false },
      ),
      ...(job ? { _embedded: { job: jobJson(job, base) } } : {}),
    });
  });

  /**
   * Deploy the workspace repository: 202 with a QUEUED `WORKSPACE_DEPLOY` job. `?plan=true`: dry
   * run. `?commit=<sha>`: that commit (an earlier one rolls back) instead of the branch head.
   * `?force=true`: even while its deploys are paused (409 otherwise).
   */
  app.post('/api/workspaces/:id/deployments', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c, ['plan', 'commit', 'force']);
    const plan = readBoolean(c.req.query('plan'), 'plan');
    const force = readBoolean(c.req.query('force'), 'force');
    const commit = c.req.query('commit');
    const id = c.req.param('id');
    const workspace = engine.workspaces.get(id);
    if (force && !plan) {
      requireMayLift(workspace, engine.workspaces.pauseOf(id), identity, 'deploy past it');
    }
    // Its owner and the admin may deploy any commit of the repository (they may change the
    // repository too); anyone else one of the commits of the workspace's branch.
    const onBranch = commit !== undefined && !isOwner(workspace, identity);
    // A deploy of a repository the GitHub App is installed on reports as a push's does. A
    // commit someone else named is reported on once fetched (proven on the branch): a check run
    // on a commit from anywhere could be re-run on GitHub, which deploys what it names.
    const origin = github?.originFor(
      workspace,
      plan ? 'plan' : 'deploy',
      onBranch ? undefined : commit?.toLowerCase(),
    );
    const { job } = engine.workspaces.deploy(id, {
      identity: identity.subject,
      plan,
      ...(commit !== undefined ? { commitId: commit } : {}),
      ...(onBranch ? { onBranch: true } : {}),
      ...(origin ? { origin } : {}),
      ...(force ? { force: true } : {}),
    });
    return c.json(jobJson(job, baseUrl(c)), 202);
  });

  /**
   * GitHub webhook: authenticated by the HMAC of the raw body with the workspace's
   * deploymentSecret, not by a bearer token. `ping` 200; a push to another branch 200 and no
   * job; the same `X-GitHub-Delivery` again returns the job it created.
   */
  app.post('/api/workspaces/:id/deployments/github-webhook', async (c) => {
    const workspace = engine.workspaces.get(c.req.param('id'));
    const body = new Uint8Array(await c.req.arrayBuffer());
    const count = (event: string, outcome: string) =>
      metrics?.webhooks.inc({ source: 'workspace', event, outcome });
    const check = checkGitHubSignature(body, workspace.deploymentSecret, {
      sha256: c.req.header('x-hub-signature-256'),
      sha1: c.req.header('x-hub-signature'),
    });
    if (!check.ok) {
      count('unverified', 'refused');
      throw new SlipwayError('UNAUTHENTICATED', check.reason);
    }
    const event = c.req.header('x-github-event');
    if (event === 'ping') {
      count('ping', 'ignored');
      return c.json({ message: 'pong', workspace: workspace.id });
    }
    if (event !== undefined && event !== 'push') {
      count('other', 'ignored');
      return c.json({ message: `event "${event}" ignored; only push deploys` });
    }
    let payload: PushFields;
    try {
      payload = pushFields(parseWebhookBody(body, c.req.header('content-type')));
    } catch (error) {
      count('push', 'refused');
      throw error;
    }
    const branchRef = `refs/heads/${workspace.branch}`;
    if (payload.ref !== undefined && payload.ref !== branchRef) {
      count('push', 'ignored');
      return c.json({
        message: `push to ${payload.ref} ignored; this workspace deploys ${branchRef}`,
      });
    }
    if (payload.deleted === true || (payload.after && /^0+$/.test(payload.after))) {
      count('push', 'ignored');
      return c.json({ message: `${branchRef} was deleted; nothing to deploy` });
    }
    if (engine.workspaces.isBeingDeleted(workspace.id)) {
      count('push', 'ignored');
      return c.json({
        message: `workspace '${workspace.name}' is being deleted; nothing to deploy`,
      });
    }
    const delivery = c.req.header('x-github-delivery')?.trim();
    const { job, created } = engine.workspaces.deploy(workspace.id, {
      commitId: payload.after ?? null,
      deliveryId: delivery ? `matatika:${workspace.id}:${delivery.slice(0, 200)}` : null,
      identity: 'github-webhook',
      push: true,
      before: payload.before ?? null,
      automatic: true,
    });
    count('push', !created ? 'redelivery' : job.status === 'QUEUED' ? 'queued' : 'held');
    return c.json(jobJson(job, baseUrl(c)), 202);
  });

  /**
   * What a task of the workspace writes now, read from its workload on the runtime (a job's log
   * holds only what a deploy saw): the lines the runtime still has, then with `follow=true` each
   * new one as it comes, until the client goes away or the task's run ends. text/plain, a line a
   * line; `prefix=true` puts `[<pod>] ` before each, for a task of several replicas.
   */
  app.get('/api/workspaces/:id/tasks/:task/logs', async (c) => {
    await requireIdentity(c);
    const workspace = engine.workspaces.get(c.req.param('id'));
    const task = c.req.param('task');
    const follow = readBoolean(c.req.query('follow'), 'follow');
    const prefix = readBoolean(c.req.query('prefix'), 'prefix');
    const owned = await engine.runtime.list({
      labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.workspace]: workspace.id },
    });
    const workload = owned.find((w) => w.labels[LABELS.task] === task);
    if (!workload) {
      const tasks = [...new Set(owned.map((w) => w.labels[LABELS.task]).filter(Boolean))].sort();
      throw new SlipwayError(
        'NOT_FOUND',
        `workspace '${workspace.name}' has no task '${task}' running; ${tasks.length > 0 ? `its tasks are ${tasks.map((t) => `'${t}'`).join(', ')}` : 'it has no task deployed'}`,
      );
    }
    const stop = new AbortController();
    return streamText(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      try {
        const lines = engine.runtime.logs(workload, { follow, signal: stop.signal });
        for await (const line of lines) {
          await stream.writeln(prefix && line.pod ? `[${line.pod}] ${line.line}` : line.line);
        }
      } catch (error) {
        // The answer has begun: what went wrong is its last line.
        if (!stop.signal.aborted) {
          await stream.writeln(`(the logs ended: ${(error as Error)?.message ?? String(error)})`);
        }
      }
    });
  });

  /**
   * What the last drift check found: whether the workspace's workloads are as its deployed
   * commit has them, and what someone changed if not (SLIPWAY_DRIFT_SECONDS).
   */
  app.get('/api/workspaces/:id/drift', async (c) => {
    await requireIdentity(c);
    return c.json(driftJson(engine.driftOf(c.req.param('id')), baseUrl(c)));
  });

  /**
   * Compares the workspace with its deployed commit now, between the periodic checks (or with
   * none running), heals as they do, and answers what it found; 409 saying why when it cannot
   * be compared now (a deploy queued or running, never deployed, not READY).
   */
  app.post('/api/workspaces/:id/drift', async (c) => {
    await requireIdentity(c);
    refuseUnknownQuery(c);
    return c.json(driftJson(await engine.checkDrift(c.req.param('id')), baseUrl(c)));
  });

  /** A workspace's jobs, newest first, paged; `status` and `type` filter. */
  app.get('/api/workspaces/:id/jobs', async (c) => {
    await requireIdentity(c);
    const workspace = engine.workspaces.get(c.req.param('id'));
    return c.json(jobsPage(c, engine, { workspaceId: workspace.id }));
  });

  /** Every job, newest first, paged; `status` and `type` filter. */
  app.get('/api/jobs', async (c) => {
    await requireIdentity(c);
    return c.json(jobsPage(c, engine, {}));
  });

  app.get('/api/jobs/:id', async (c) => {
    await requireIdentity(c);
    return c.json(jobJson(engine.jobs.get(c.req.param('id')), baseUrl(c)));
  });

  /** Delete a job and its log; a QUEUED or RUNNING one is stopped first. */
  app.delete('/api/jobs/:id', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    // A deploy's job and log are the workspace's history: deleting them is its owner's call, as
    // deleting the workspace is. Anyone may withdraw a deploy that is going wrong.
    const { workspaceId } = engine.jobs.get(c.req.param('id'));
    const workspace = workspaceId ? workspaceIfAny(engine, workspaceId) : undefined;
    if (workspace) requireOwner(workspace, identity, 'delete its jobs');
    await engine.jobs.delete(c.req.param('id'), identity.subject);
    return c.body(null, 204);
  });

  /** Withdraw a QUEUED or RUNNING job (409 otherwise): 202 with the STOPPED job. */
  app.put('/api/jobs/:id/stopped', async (c) => {
    const identity = await requireIdentity(c);
    refuseUnknownQuery(c);
    const job = engine.jobs.withdraw(c.req.param('id'), identity.subject);
    return c.json(jobJson(job, baseUrl(c)), 202);
  });

  /**
   * Log lines from `sequence` on: text/plain by default, NDJSON `{sequence, time, line}` for
   * `Accept: application/x-ndjson` or `application/stream+json`; 204 when none yet.
   * `X-Next-Sequence` says where to continue. With `wait` (seconds), a request that would get
   * nothing while the job runs is held until a line comes or the job ends, at most that long.
   */
  app.get('/api/jobs/:id/logs', async (c) => {
    await requireIdentity(c);
    const sequence = wholeNumber(
      c.req.query('sequence'),
      'sequence',
      0,
      Number.MAX_SAFE_INTEGER,
      0,
    );
    const limit = wholeNumber(c.req.query('limit'), 'limit', 1, MAX_LOG_LINES, MAX_LOG_LINES);
    const wait = waitSeconds(c.req.query('wait'));
    const id = c.req.param('id');
    // Only a held request waits, and stops when its client goes away; the others read at once.
    const lines =
      wait > 0
        ? await engine.jobs.awaitLogs(id, sequence, limit, wait * 1000, c.req.raw.signal)
        : engine.jobs.logs(id, sequence, limit);
    const last = lines.at(-1);
    if (!last) return c.body(null, 204, { 'X-Next-Sequence': String(sequence) });
    c.header('X-Next-Sequence', String(last.sequence + 1));
    const accept = c.req.header('accept') ?? '';
    if (NDJSON_TYPES.some((type) => accept.includes(type))) {
      const type = NDJSON_TYPES.find((t) => accept.includes(t)) ?? NDJSON_TYPES[0];
      const text = lines
        .map((l) => JSON.stringify({ sequence: l.sequence, time: l.time, line: l.line }))
        .join('\n');
      return c.body(`${text}\n`, 200, { 'Content-Type': `${type}; charset=utf-8` });
    }
    return c.text(`${lines.map((l) => l.line).join('\n')}\n`);
  });

  return app;
}

function jobsPage(c: Parameters<typeof readPaging>[0], engine: Engine, filter: JobFilter) {
  const paging = readPaging(c, JOB_SORT_FIELDS);
  // `status` may be repeated: jobs with any of the statuses.
  const statuses = c.req.queries('status');
  const type = c.req.query('type');
  for (const status of statuses ?? []) {
    if (!(JOB_STATUSES as readonly string[]).includes(status)) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `query "status" is "${status}"; expected one of ${JOB_STATUSES.join(', ')} (repeat "status" for several)`,
      );
    }
  }
  if (type !== undefined && !(JOB_TYPES as readonly string[]).includes(type)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `query "type" is "${type}"; expected one of ${JOB_TYPES.join(', ')}`,
    );
  }
  const page = engine.jobs.list(
    {
      ...filter,
      ...(statuses ? { status: [...new Set(statuses)] as Job['status'][] } : {}),
      ...(type ? { type: type as Job['type'] } : {}),
    },
    paging,
  );
  const base = baseUrl(c);
  return {
    _embedded: { jobs: page.items.map((job) => jobJson(job, base)) },
    _links: pageLinks(c, base, page, paging),
    page: pageInfo(page, paging),
  };
}

/**
 * A job as Matatika returns it: the seed's fields in the seed's order (exactly those while it is
 * queued), then what only a started or finished job has, then the HAL links (withdraw only while
 * it can be withdrawn).
 */
export function jobJson(job: Job, base: string) {
  const self = `${base}/api/jobs/${job.id}`;
  const active = job.status === 'QUEUED' || job.status === 'RUNNING';
  return {
    id: job.id,
    created: job.created,
    type: job.type,
    maxAttempts: job.maxAttempts,
    attempt: job.attempt,
    status: job.status,
    ...(job.startTime ? { startTime: job.startTime } : {}),
    ...(job.endTime ? { endTime: job.endTime } : {}),
    ...(job.exitCode !== null ? { exitCode: job.exitCode } : {}),
    ...(job.commitId ? { commitId: job.commitId } : {}),
    ...(job.message ? { message: job.message } : {}),
    ...(job.result ? { result: shownResult(job.result) } : {}),
    _links: {
      self: { href: self },
      'delete job': { href: self, type: 'DELETE' },
      logs: { href: `${self}/logs?sequence=0`, type: 'GET' },
      ...(active ? { 'withdraw job': { href: `${self}/stopped`, type: 'PUT' } } : {}),
      // What it acts on (not in the seed; HAL clients skip links they do not know).
      ...(job.workspaceId
        ? { workspace: { href: `${base}/api/workspaces/${job.workspaceId}`, type: 'GET' } }
        : {}),
    },
  };
}

/** Whether `viewer` owns the workspace, or is the admin: who sees its secrets and may change it. */
/** The workspace, or undefined when it was deleted since (its jobs may outlive it). */
function workspaceIfAny(engine: Engine, id: string): Workspace | undefined {
  try {
    return engine.workspaces.get(id);
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

function isOwner(workspace: Workspace, viewer: Identity): boolean {
  return viewer.admin || viewer.subject === workspace.owner;
}

/**
 * FORBIDDEN when the workspace's deploys are paused and `viewer` is none of who paused them,
 * its owner and the admin: a freeze anyone could lift or step over would be no freeze.
 */
function requireMayLift(
  workspace: Workspace,
  pause: WorkspacePause | undefined,
  viewer: Identity,
  action: 'change the pause' | 'resume its deploys' | 'deploy past it',
): void {
  if (!pause || isOwner(workspace, viewer) || viewer.subject === pause.by) return;
  throw new SlipwayError(
    'FORBIDDEN',
    `deploys of workspace '${workspace.name}' are paused by ${pause.by ?? 'someone unknown'}; only they, the workspace's owner (${workspace.owner ?? 'none'}) and the admin may ${action}, not ${viewer.subject}`,
  );
}

/** FORBIDDEN unless `viewer` is the workspace's owner or the admin. */
function requireOwner(
  workspace: Workspace,
  viewer: Identity,
  action: 'change it' | 'delete it' | 'delete its jobs',
): void {
  if (isOwner(workspace, viewer)) return;
  const owner = workspace.owner ? `belongs to ${workspace.owner}` : 'has no owner';
  throw new SlipwayError(
    'FORBIDDEN',
    `workspace '${workspace.name}' (${workspace.id}) ${owner}; only its owner or the admin may ${action}, not ${viewer.subject}`,
  );
}

/**
 * A job's result with the repository's credentials masked: jobs stored before deploys masked
 * them themselves still hold the URL as the workspace had it.
 */
function shownResult(result: Record<string, unknown>): Record<string, unknown> {
  return typeof result.repository === 'string'
    ? { ...result, repository: redact(result.repository) }
    : result;
}

/**
 * A workspace; its deploymentSecret, and the credentials in its repositoryUrl, only for its owner
 * and the admin (the others see them as `***`).
 */
export function workspaceJson(
  workspace: Workspace,
  base: string,
  viewer: Identity,
  { pause, previews, previewLabel, preview }: WorkspaceExtras,
  shown: { secret: boolean } = { secret: true },
) {
  const self = `${base}/api/workspaces/${workspace.id}`;
  const mayReadSecret = isOwner(workspace, viewer);
  return {
    id: workspace.id,
    created: workspace.created,
    lastModified: workspace.lastModified,
    name: workspace.name,
    alias: workspace.alias,
    repositoryUrl: mayReadSecret ? workspace.repositoryUrl : redact(workspace.repositoryUrl),
    branch: workspace.branch,
    namespace: workspace.namespace,
    status: workspace.status,
    timeoutSeconds: workspace.timeoutSeconds,
    ...(mayReadSecret && shown.secret ? { deploymentSecret: workspace.deploymentSecret } : {}),
    lastDeployment: workspace.lastJobId
      ? {
          jobId: workspace.lastJobId,
          commitId: workspace.lastCommitId,
          time: workspace.lastDeployed,
        }
      : null,
    // Who paused its deploys, since when, why, and how many were held since.
    paused: pause
      ? {
          by: pause.by,
          since: pause.since,
          reason: pause.reason,
          until: pause.until ?? null,
          held: pause.held,
          lastHeld: pause.lastHeld,
        }
      : null,
    previews,
    previewLabel,
    // The pull request it deploys, when it is a preview made for one.
    preview: preview
      ? {
          of: preview.of,
          pullRequest: preview.pullRequest,
          repository: preview.repository,
          created: preview.created,
          closed: preview.closed?.at ?? null,
        }
      : null,
    _links: {
      self: { href: self },
      'update workspace': { href: self, type: 'PUT' },
      'delete workspace': { href: self, type: 'DELETE' },
      'deploy workspace': { href: `${self}/deployments`, type: 'POST' },
      'github webhook': { href: `${self}/deployments/github-webhook`, type: 'POST' },
      jobs: { href: `${self}/jobs`, type: 'GET' },
      drift: { href: `${self}/drift`, type: 'GET' },
      ...(pause
        ? { 'resume deploys': { href: `${self}/paused`, type: 'DELETE' } }
        : { 'pause deploys': { href: `${self}/paused`, type: 'PUT' } }),
      ...(preview ? { 'preview of': { href: `${base}/api/workspaces/${preview.of}` } } : {}),
    },
  };
}

/** Previews are made on pull request events, which only the GitHub App hears. */
function refusePreviewsWithoutApp(github: unknown): void {
  if (github) return;
  throw new SlipwayError(
    'BAD_REQUEST',
    '"previews" is true; expected false on this server: pull request previews are made on the GitHub App\'s pull request events, and the App is off (set APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, and WEBHOOK_SECRET)',
  );
}

/** What a workspace's JSON shows beside its row: its pause and its previews. */
export interface WorkspaceExtras {
  pause: WorkspacePause | undefined;
  /** Whether its pull requests get previews. */
  previews: boolean;
  /** The label a pull request needs for one; null: none. */
  previewLabel: string | null;
  /** The pull request it deploys, when it is a preview. */
  preview: WorkspacePreview | undefined;
}

/** The extras of workspace `id`, as stored now. */
export function extrasOf(engine: Engine, id: string): WorkspaceExtras {
  return {
    pause: engine.workspaces.pauseOf(id),
    previews: engine.previews.on(id),
    previewLabel: engine.previews.labelOf(id),
    preview: engine.previews.of(id),
  };
}

/** A workspace's drift: the last check's findings, when it still tells how things are. */
function driftJson(drift: WorkspaceDrift, base: string) {
  const { workspace, status, check } = drift;
  const self = `${base}/api/workspaces/${workspace.id}`;
  return {
    workspaceId: workspace.id,
    status,
    checkEverySeconds: drift.everySeconds,
    selfHeal: drift.selfHeal,
    commitId: check?.commit ?? null,
    checked: check?.checked ?? null,
    drifted: status === 'UNKNOWN' ? [] : (check?.drifted ?? []),
    since: status === 'DRIFTED' ? (check?.since ?? null) : null,
    heals: check?.heals ?? 0,
    _links: {
      self: { href: `${self}/drift` },
      workspace: { href: self, type: 'GET' },
      ...(check?.healJobId
        ? { 'last heal': { href: `${base}/api/jobs/${check.healJobId}`, type: 'GET' } }
        : {}),
    },
  };
}

function readBoolean(text: string | undefined, name: string): boolean {
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  throw new SlipwayError('BAD_REQUEST', `query "${name}" is "${text}"; expected true or false`);
}

/** GitHub sends JSON, or a form with the JSON in `payload`; an empty body is an empty push. */
function parseWebhookBody(
  body: Uint8Array,
  contentType: string | undefined,
): Record<string, unknown> {
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') return {};
  let json = text;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    json = new URLSearchParams(text).get('payload') ?? '';
  }
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new SlipwayError(
    'BAD_REQUEST',
    'webhook body is not a JSON object (nor a form with a JSON "payload")',
  );
}
