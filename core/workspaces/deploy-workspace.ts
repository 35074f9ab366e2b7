import { formatProblem } from '../config/index.js';
import { isSlipwayError, type Problem, SlipwayError } from '../errors.js';
import type { JobContext, JobEnd, JobOutcome } from '../jobs/index.js';
import {
  type ApplyOutcome,
  LABELS,
  MANAGED_BY_VALUE,
  type Runtime,
  type Workload,
  type WorkloadInfo,
  type WorkloadKind,
  type WorkloadRef,
} from '../runtime/types.js';
import { type Checkout, digestUnit, redact, type SourceFetcher } from '../source/index.js';
import type { Store } from '../store/types.js';
import {
  describeOutcome,
  describeRef,
  LogCopier,
  ownerOf,
  renderWorkload,
  runtimeMisfit,
  waitUntilHealthy,
} from '../tasks/index.js';
import { type Clock, isoTime, type Job, TERMINAL_JOB_STATUSES, type Workspace } from '../types.js';
import { type LoadedUnits, loadUnits } from './load-units.js';
import { PREVIEWS } from './previews.js';
import { workspaceTarget } from './workspace-service.js';

export interface DeployWorkspaceDeps {
  store: Store;
  runtime: Runtime;
  source: SourceFetcher;
  clock: Clock;
  /** How often workload health is polled. */
  healthPollMs?: number;
}

/** What a workspace deploy did; rendered by the REST surfaces, check runs and the Action. */
export interface WorkspaceDeployResult {
  plan: boolean;
  repository: string;
  branch: string;
  commit: string;
  namespace: string;
  created: WorkloadRef[];
  /** With `drift` when only drift changed it (see `ApplyOutcome.drift`). */
  changed: (WorkloadRef & { drift?: string })[];
  unchanged: WorkloadRef[];
  pruned: WorkloadRef[];
  pipelines: { name: string; file: string }[];
  durationMs: number;
}

/**
 * The `WORKSPACE_DEPLOY` handler: fetch the branch (or the pushed commit), validate every unit,
 * apply every task, prune what Slipway deployed for this workspace that git no longer has, and
 * wait until everything applied is healthy. With `params.plan` it stops after a dry run.
 */
export async function deployWorkspace(
  context: JobContext,
  deps: DeployWorkspaceDeps,
): Promise<JobOutcome> {
  const { job, signal, log } = context;
  const started = deps.clock.now();
  const plan = job.params.plan === true;
  const workspace = job.workspaceId ? deps.store.getWorkspace(job.workspaceId) : undefined;
  if (!workspace) {
    throw new SlipwayError(
      'NOT_FOUND',
      `workspace '${job.workspaceId}' of this job no longer exists`,
    );
  }
  const previousStatus = workspace.status;
  if (!plan) setStatus(deps, workspace.id, 'PROVISIONING');
  try {
    const result = await sync(context, deps, workspace, plan, started);
    if (!plan) {
      const now = isoTime(deps.clock.now());
      updateWorkspace(deps, workspace.id, (ws) => ({
        ...ws,
        status: 'READY',
        lastJobId: job.id,
        lastCommitId: result.commit,
        lastDeployed: now,
      }));
    }
    const message = summarize(result);
    log(message);
    return { result: { ...result }, message };
  } catch (error) {
    if (!plan) {
      const willRetry =
        error instanceof SlipwayError && error.retryable && job.attempt + 1 < job.maxAttempts;
      setStatus(
        deps,
        workspace.id,
        signal.aborted ? previousStatus : willRetry ? 'PROVISIONING' : 'FAILED',
      );
    }
    throw error;
  }
}

async function sync(
  context: JobContext,
  deps: DeployWorkspaceDeps,
  workspace: Workspace,
  plan: boolean,
  started: number,
): Promise<WorkspaceDeployResult> {
  const { job, signal, log } = context;
  const { runtime } = deps;
  // A commit to prove on the branch is the job's only once proven (see WorkspaceService.deploy).
  const unproven = job.params.onBranch === true ? String(job.params.commit) : null;
  const pinned = job.commitId ?? unproven;
  const wanted = pinned ? `commit ${pinned}` : `branch ${workspace.branch}`;
  // The URL may carry credentials (`https://TOKEN@host/...`): git gets them, nothing shown does.
  const repository = redact(workspace.repositoryUrl);
  log(`fetching ${repository} at ${wanted}`);
  if (unproven) {
    log(
      `${job.identity ?? 'the caller'} is not the workspace's owner: the commit must be one of the commits of branch ${workspace.branch}`,
    );
  }
  const checkout =
    (await headInsteadOfLatePush(context, deps, workspace)) ??
    (await deps.source
      .fetch(workspace.repositoryUrl, workspace.branch, {
        ...(pinned ? { commit: pinned } : {}),
        ...(unproven ? { onBranch: true } : {}),
        signal,
      })
      .catch((error: unknown) => {
        if (!isSlipwayError(error) || error.details.notOnBranch !== true) throw error;
        throw new SlipwayError(
          'FORBIDDEN',
          `${error.message}; only the workspace's owner or the admin may deploy a commit that is not on its branch`,
          { cause: error },
        );
      }));
  context.setCommit(checkout.commit);
  log(`checked out ${checkout.commit}`);

  const { units, problems, workloads, unpublished } = await desiredWorkloads(
    runtime,
    deps.store,
    workspace,
    checkout,
  );
  if (unpublished.length > 0) {
    log(
      `a pull request's preview publishes nothing: the Ingress of ${unpublished.map((n) => `'${n}'`).join(', ')} ("published") is left out, as it would take the routes of the workspace it previews`,
    );
  }
  if (problems.length > 0) {
    for (const problem of problems) log(formatProblem(problem));
    const files = new Set(problems.map((p) => p.file));
    throw new SlipwayError(
      'MANIFEST_INVALID',
      `${problems.length} problem(s) in ${[...files].join(', ')}; nothing was applied`,
      { problems },
    );
  }
  log(`found ${units.tasks.length} task(s) and ${units.pipelines.length} pipeline(s)`);
  signal.throwIfAborted();
  await refuseTakeover(deps, workspace, workloads);

  // What this workspace runs before the deploy: what it prunes, and, kept with the job, what a
  // later attempt compares against so that its result is the whole deploy's.
  const owned = await runtime.list({
    labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.workspace]: workspace.id },
  });
  const earlier = plan ? undefined : keptBefore(job);
  if (!plan && !earlier) context.keepProgress({ before: snapshot(owned) });

  if (!plan) await runtime.ensureNamespace(workspace.namespace);
  // A task that became a service or stopped being one keeps its Deployment's name: removing the
  // old kind after the apply would remove what was just applied, so it goes first, and the new
  // kind is created in its place.
  const desiredKinds = new Map(workloads.map((w) => [objectKey(w), w.kind]));
  const retyped = owned.filter((info) => {
    const kind = desiredKinds.get(objectKey(info));
    return kind !== undefined && kind !== info.kind;
  });
  const pruned: WorkloadRef[] = [];
  for (const info of retyped) {
    const ref = toRef(info);
    if (!plan) await runtime.delete(ref);
    log(
      `${describeRef(ref)} ${plan ? 'would be ' : ''}replaced: it is a ${desiredKinds.get(objectKey(info))} in git now`,
    );
    pruned.push(ref);
  }
  const replaced = new Set(retyped.map(objectKey));
  // A plan leaves the old kind in place, where the deploy removes it first: what replaces it
  // is created, as the deploy will say, not changed.
  const outcomes = (await runtime.apply(workloads, { dryRun: plan })).map((outcome) =>
    plan && replaced.has(objectKey(outcome)) && outcome.action !== 'created'
      ? { ...toRef(outcome), action: 'created' as const }
      : outcome,
  );
  for (const outcome of outcomes) {
    if (outcome.action !== 'unchanged') log(describeOutcome(outcome, plan));
  }
  const done = earlier ? credit(outcomes, workloads, earlier) : outcomes;
  for (const [i, outcome] of done.entries()) {
    if (outcome.action !== outcomes[i]?.action)
      log(`${describeRef(outcome)} ${outcome.action} (by an earlier attempt of this deploy)`);
  }

  const desired = new Set(workloads.map(refKey));
  const stale = owned.filter((info) => !desired.has(refKey(info)) && !retyped.includes(info));
  const prunedEarlier = earlier ? prunedBefore(earlier, desired, stale) : [];
  for (const ref of prunedEarlier) {
    log(`${describeRef(ref)} pruned (by an earlier attempt of this deploy)`);
    pruned.push(ref);
  }
  for (const info of stale) {
    signal.throwIfAborted();
    const ref = { kind: info.kind, namespace: info.namespace, name: info.name };
    if (!plan) await runtime.delete(ref);
    log(`${describeRef(ref)} ${plan ? 'would be ' : ''}pruned (no longer in git)`);
    pruned.push(ref);
  }

  const result = (): WorkspaceDeployResult => ({
    plan,
    repository,
    branch: workspace.branch,
    commit: checkout.commit,
    namespace: workspace.namespace,
    created: refsWith(done, 'created'),
    changed: done
      .filter((o) => o.action === 'changed')
      .map((o) => (o.drift ? { ...toRef(o), drift: o.drift } : toRef(o))),
    unchanged: refsWith(done, 'unchanged'),
    pruned,
    pipelines: units.pipelines.map((p) => ({ name: p.pipeline.name, file: p.file })),
    durationMs: deps.clock.now() - started,
  });
  if (!plan) {
    try {
      await waitForWorkloads(
        context,
        deps,
        workspace,
        workloads,
        outcomes,
        refsWith(done, 'created'),
      );
    } catch (error) {
      // A workload that failed or never got healthy ends the deploy, but what it applied and
      // pruned stands: the job's result (its check run, the Action's summary) still says what.
      if (isSlipwayError(error)) Object.assign(error.details, { ...result(), ...error.details });
      throw error;
    }
  }
  return result();
}

/**
 * The workspace's units at `checkout` and the workloads its tasks render to, owned by the
 * workspace; with `problems` (and no workloads) when a unit is invalid or asks for what the
 * runtime cannot run (an image on the local runtime), all of them found before anything is made.
 */
export async function desiredWorkloads(
  runtime: Runtime,
  store: Store,
  workspace: Workspace,
  checkout: Checkout,
): Promise<{
  units: LoadedUnits;
  problems: Problem[];
  workloads: Workload[];
  /** Services whose `published` was left out: the workspace is a pull request's preview. */
  unpublished: string[];
}> {
  const units = await loadUnits(checkout.dir);
  const misfits = units.tasks.flatMap((task) => {
    const why = runtimeMisfit(runtime, task.manifest, {
      namespace: workspace.namespace,
      name: task.manifest.name,
      schedule: task.manifest.schedule,
    });
    return why ? [{ file: task.file, message: why }] : [];
  });
  const problems = [...units.problems, ...misfits];
  if (problems.length > 0) return { units, problems, workloads: [], unpublished: [] };
  const preview = store.getRecord(PREVIEWS, workspace.id) !== undefined;
  const repository = redact(workspace.repositoryUrl);
  const ownership = { [LABELS.workspace]: workspace.id };
  const workloads: Workload[] = [];
  const unpublished: string[] = [];
  for (const task of units.tasks) {
    if (preview && task.manifest.type === 'service' && task.manifest.published) {
      unpublished.push(task.manifest.name);
    }
    workloads.push(
      renderWorkload(task.manifest, {
        namespace: workspace.namespace,
        checkoutDir: checkout.dir,
        directory: task.directory,
        repository,
        commit: checkout.commit,
        digest: await digestUnit(checkout.dir, task.directory),
        labels: ownership,
        ...(preview ? { unpublished: true } : {}),
      }),
    );
  }
  return { units, problems, workloads, unpublished };
}

/**
 * GitHub does not deliver pushes in order: after pushes of A then B, B's webhook may come first
 * and A's after it. Deploying A then would leave the workspace behind its branch, whether B's
 * deploy was still queued (A's superseded it), running, or done. So a push deploy whose commit
 * is no longer the branch head deploys the head when Slipway heard of that head first: a push
 * deploy queued before this one asked for it, or a deploy this one superseded (directly or
 * through the deploys it superseded) asked for it or for the head as such. The branch head is
 * read only then. Pushes delivered in order deploy each its own commit, and a commit asked for
 * by name (`?commit=`, a rollback, a re-run check suite) is deployed as asked.
 */
async function headInsteadOfLatePush(
  context: JobContext,
  deps: DeployWorkspaceDeps,
  workspace: Workspace,
): Promise<Checkout | undefined> {
  const { job, signal, log } = context;
  if (job.params.push !== true || !job.commitId) return undefined;
  const heard = headsHeardBefore(deps.store, job, workspace.id).filter((c) => c !== job.commitId);
  if (heard.length === 0) return undefined;
  const head = await deps.source.fetch(workspace.repositoryUrl, workspace.branch, { signal });
  if (head.commit === job.commitId) return head;
  if (!heard.some((commit) => commit === null || commit === head.commit)) return undefined;
  log(
    `commit ${job.commitId.slice(0, 12)} was pushed before ${head.commit.slice(0, 12)}, the head of branch ${workspace.branch}, whose push came first (GitHub may deliver pushes out of order): deploying the head`,
  );
  return head;
}

/**
 * The commits this push deploy must not take the workspace back from (null: the branch head):
 * those of push deploys queued before it, whatever became of them, and what the deploys it
 * superseded, and those they superseded, asked for.
 */
function headsHeardBefore(store: Store, job: Job, workspaceId: string): (string | null)[] {
  const recent = store.listJobs(
    { workspaceId, type: 'WORKSPACE_DEPLOY' },
    { offset: 0, limit: 100, sort: { field: 'created', direction: 'desc' } },
  ).items;
  const heard = recent
    .filter(
      (older) =>
        older.id !== job.id &&
        older.created <= job.created &&
        older.params.push === true &&
        older.params.plan !== true,
    )
    .map((older) => older.commitId);
  const by = [job.id];
  for (let i = 0; i < by.length; i++) {
    const prefix = `superseded by job ${by[i]}`;
    for (const older of recent) {
      if (older.status !== 'STOPPED' || older.params.plan === true) continue;
      if (!older.message?.startsWith(prefix) || by.includes(older.id)) continue;
      by.push(older.id);
      heard.push(older.commitId);
    }
  }
  return heard;
}

/**
 * Refuses, before anything is applied, a deploy that would take over a workload something else
 * in the namespace deployed: another workspace (two workspaces sharing a namespace), a DataTask
 * task or pipeline, a nullplatform release. Applying would relabel it as this workspace's, the
 * two would undo each other's deploys, and deleting one would delete the other's workload. A
 * workload of a workspace that no longer exists is left over, and is taken over.
 */
async function refuseTakeover(
  deps: DeployWorkspaceDeps,
  workspace: Workspace,
  workloads: Workload[],
): Promise<void> {
  const present = await deps.runtime.list({
    namespace: workspace.namespace,
    labels: { [LABELS.managedBy]: MANAGED_BY_VALUE },
  });
  const held = new Map(present.map((info) => [objectKey(info), info]));
  const problems: string[] = [];
  for (const workload of workloads) {
    const other = held.get(objectKey(workload));
    const owner = other && ownerOf(deps.store, other);
    if (!other || !owner || (owner.kind === 'workspace' && owner.id === workspace.id)) continue;
    problems.push(`${describeRef(other)} of ${owner.text}`);
  }
  if (problems.length === 0) return;
  throw new SlipwayError(
    'CONFLICT',
    `namespace ${workspace.namespace} already has ${problems.join(', ')}; deploying would take ${problems.length === 1 ? 'it' : 'them'} over, so nothing was applied: rename the task, or give workspace '${workspace.name}' a namespace of its own`,
  );
}

/** One Kubernetes object name per key: a service is a Deployment too. */
function objectKey(ref: WorkloadRef): string {
  const kind = ref.kind === 'service' ? 'deployment' : ref.kind;
  return `${kind}/${ref.namespace}/${ref.name}`;
}

/**
 * Waits until every workload is healthy while copying the output of the ones this deploy started
 * into the job log. A withdrawn deploy stops the run-to-completion workloads it started.
 */
async function waitForWorkloads(
  context: JobContext,
  deps: DeployWorkspaceDeps,
  workspace: Workspace,
  workloads: Workload[],
  outcomes: ApplyOutcome[],
  created: WorkloadRef[],
): Promise<void> {
  const { signal, log } = context;
  const started = outcomes.filter((o) => o.action !== 'unchanged').map(toRef);
  const followed = [...started];
  // An unchanged workload may still be running (a job the runtime restarted after a crash):
  // its output belongs in this deploy's log too. One that has failed (a service in a crash
  // loop) fails this deploy, and its last lines say why, as they would for a new one.
  for (const outcome of outcomes.filter((o) => o.action === 'unchanged')) {
    const { health } = await deps.runtime.status(outcome);
    if (health === 'progressing') started.push(toRef(outcome));
    if (health === 'progressing' || health === 'failed') followed.push(toRef(outcome));
  }
  const copier = new LogCopier(deps.runtime, log);
  for (const ref of followed) copier.follow(ref);
  try {
    await waitUntilHealthy(deps.runtime, workloads.map(toRef), {
      timeoutMs: workspace.timeoutSeconds * 1000,
      signal,
      log,
      clock: deps.clock,
      pollMs: deps.healthPollMs ?? 250,
      lastLines: (ref) => copier.lastLines(ref),
      beforeFailure: (ref) => copier.drain([ref], 2000),
    });
    // A finished job's last lines may still be on their way into the log.
    await copier.drain(
      started.filter((ref) => ref.kind === 'job'),
      2000,
    );
  } catch (error) {
    if (signal.aborted) {
      await stopRunToCompletion(deps.runtime, started, log, signal.reason);
      await removeNewWorkloads(deps.runtime, created, log, signal.reason);
    } else await copier.drain(followed, 500);
    throw error;
  } finally {
    await copier.stop();
  }
}

async function stopRunToCompletion(
  runtime: Runtime,
  refs: WorkloadRef[],
  log: (line: string) => void,
  reason: unknown,
): Promise<void> {
  const why =
    reason === 'shutdown'
      ? 'Slipway is shutting down; the deploy runs again when it starts'
      : reason === 'timeout'
        ? 'the deploy ran out of time'
        : reason === 'lease-lost'
          ? 'another Slipway took the deploy over'
          : 'the deploy was withdrawn';
  for (const ref of refs.filter((r) => r.kind === 'job')) {
    const status = await runtime.status(ref);
    if (status.health !== 'progressing') continue;
    await runtime.delete(ref);
    log(`${describeRef(ref)} stopped: ${why}`);
  }
}

/**
 * A deploy withdrawn or out of time leaves what ran before it: the services, deployments and
 * cron jobs it created go (its jobs were stopped above). What it changed stays changed, and what
 * it pruned stays pruned. After a shutdown or a lost lease the deploy runs again, and keeps them.
 */
async function removeNewWorkloads(
  runtime: Runtime,
  created: WorkloadRef[],
  log: (line: string) => void,
  reason: unknown,
): Promise<void> {
  if (reason !== 'withdrawn' && reason !== 'timeout') return;
  const why = reason === 'timeout' ? 'ran out of time' : 'was withdrawn';
  for (const ref of created.filter((r) => r.kind !== 'job')) {
    await runtime.delete(ref);
    log(`${describeRef(ref)} removed: it is new in this deploy, which ${why}`);
  }
}

function summarize(result: WorkspaceDeployResult): string {
  const counts = [
    `${result.created.length} created`,
    `${result.changed.length} changed`,
    `${result.unchanged.length} unchanged`,
    `${result.pruned.length} pruned`,
  ].join(', ');
  const seconds = (result.durationMs / 1000).toFixed(1);
  const what = result.plan ? 'plan for' : 'deployed';
  return `${what} ${result.commit.slice(0, 12)} to namespace ${result.namespace}: ${counts} in ${seconds} s`;
}

/** The spec hash of every workload the workspace ran, by `refKey`, before the deploy began. */
type Snapshot = Record<string, string>;

function snapshot(owned: WorkloadInfo[]): Snapshot {
  return Object.fromEntries(owned.map((info) => [refKey(info), info.specHash ?? '']));
}

/** The snapshot an earlier attempt of this deploy kept; none on the first attempt. */
function keptBefore(job: Job): Snapshot | undefined {
  const before = job.progress?.before;
  if (typeof before !== 'object' || before === null || Array.isArray(before)) return undefined;
  return before as Snapshot;
}

/**
 * An earlier attempt may have applied a workload before it died, so this attempt finds it
 * unchanged: the deploy created or changed it all the same, as the snapshot shows. And a job
 * the earlier attempt changed, then stopped when Slipway shut down, is made anew by this one:
 * the deploy changed it, it did not create it.
 */
function credit(outcomes: ApplyOutcome[], workloads: Workload[], before: Snapshot): ApplyOutcome[] {
  const hashes = new Map(workloads.map((w) => [refKey(w), w.specHash]));
  return outcomes.map((outcome) => {
    if (outcome.action === 'created' && before[refKey(outcome)] !== undefined) {
      return { ...outcome, action: 'changed' };
    }
    if (outcome.action !== 'unchanged') return outcome;
    const was = before[refKey(outcome)];
    if (was === undefined) return { ...outcome, action: 'created' };
    return was === hashes.get(refKey(outcome)) ? outcome : { ...outcome, action: 'changed' };
  });
}

/** What an earlier attempt pruned: what the workspace ran before, git no longer has, and is gone. */
function prunedBefore(
  before: Snapshot,
  desired: Set<string>,
  stale: WorkloadInfo[],
): WorkloadRef[] {
  const left = new Set(stale.map(refKey));
  return Object.keys(before)
    .filter((key) => !desired.has(key) && !left.has(key))
    .map(fromKey);
}

function refsWith(outcomes: ApplyOutcome[], action: ApplyOutcome['action']): WorkloadRef[] {
  return outcomes.filter((o) => o.action === action).map(toRef);
}

function toRef(ref: WorkloadRef): WorkloadRef {
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

function refKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

function fromKey(key: string): WorkloadRef {
  const [kind, namespace, name] = key.split('/') as [WorkloadKind, string, string];
  return { kind, namespace, name };
}

/**
 * A `WORKSPACE_DEPLOY` job that ended without completing and will not run again leaves its
 * workspace `PROVISIONING` only while another deploy of it is queued or running: otherwise the
 * workspace is `FAILED` when the job failed for good (or was given up), and `READY` when it
 * was withdrawn or timed out (what it deployed before still runs).
 */
export function settleEndedWorkspaceDeploy(
  job: Job,
  end: JobEnd,
  deps: Pick<DeployWorkspaceDeps, 'store'>,
): void {
  if (!job.workspaceId || job.params.plan === true) return;
  const workspaceId = job.workspaceId;
  deps.store.transaction(() => {
    const workspace = deps.store.getWorkspace(workspaceId);
    if (workspace?.status !== 'PROVISIONING') return;
    const others = deps.store
      .listJobs(
        { workspaceId, type: 'WORKSPACE_DEPLOY', status: ['QUEUED', 'RUNNING'] },
        { offset: 0, limit: 10 },
      )
      .items.filter((other) => other.id !== job.id && other.params.plan !== true);
    if (others.length > 0) return;
    deps.store.updateWorkspace({
      ...workspace,
      status: end.status === 'ERROR' ? 'FAILED' : 'READY',
    });
  });
}

/**
 * At start, before any job is claimed: a workspace left `PROVISIONING` with no deploy queued or
 * running had a deploy that ended while no one could settle it (the process died while a
 * withdrawn deploy was winding down). Such a withdrawn deploy is wound down now, as it would
 * have been: the jobs it started that still run are stopped, and the services, deployments and
 * cron jobs it created go (its log says so). Then the workspace is settled, `READY` after a
 * withdrawn deploy, `FAILED` after a failed one.
 */
export async function settleInterruptedDeploys(
  deps: Pick<DeployWorkspaceDeps, 'store' | 'runtime' | 'clock'>,
): Promise<void> {
  const { store, runtime, clock } = deps;
  for (let offset = 0; ; offset += 500) {
    const page = store.listWorkspaces({ offset, limit: 500 });
    for (const workspace of page.items.filter((ws) => ws.status === 'PROVISIONING')) {
      const deploys = store
        .listJobs(
          // Its deploys' target: what a pause held as it came (target `held:`) is not among them.
          { target: workspaceTarget(workspace.id), type: 'WORKSPACE_DEPLOY' },
          { offset: 0, limit: RECENT_DEPLOYS },
        )
        // A deploy a pause held never ran: the one to settle is the latest that did.
        .items.filter((job) => job.params.plan !== true && job.params.held !== true);
      const latest = deploys[0];
      if (!latest || !TERMINAL_JOB_STATUSES.includes(latest.status)) continue;
      const before = latest.status === 'STOPPED' ? keptBefore(latest) : undefined;
      if (before) {
        // As the withdraw would have wound it down: what it started stopped, what it made gone.
        const owned = await runtime.list({
          labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.workspace]: workspace.id },
        });
        // New in the deploy, or changed by it: its spec is not the one kept from before.
        const started = owned.filter((info) => before[refKey(info)] !== (info.specHash ?? ''));
        const created = started.filter((info) => !(refKey(info) in before));
        const lines: string[] = [];
        const log = (line: string) => lines.push(line);
        await stopRunToCompletion(runtime, started, log, 'withdrawn');
        await removeNewWorkloads(runtime, created, log, 'withdrawn');
        const time = isoTime(clock.now());
        if (lines.length > 0) {
          store.appendJobLogs(
            latest.id,
            lines.map((line) => ({ time, line })),
          );
        }
      }
      settleEndedWorkspaceDeploy(
        latest,
        { status: latest.status as JobEnd['status'], message: latest.message ?? '' },
        deps,
      );
    }
    if (offset + page.items.length >= page.total) return;
  }
}

/** How many of a workspace's latest deploys start-up looks through for the last one. */
const RECENT_DEPLOYS = 20;

function setStatus(deps: DeployWorkspaceDeps, id: string, status: Workspace['status']): void {
  updateWorkspace(deps, id, (ws) => ({ ...ws, status }));
}

function updateWorkspace(
  deps: DeployWorkspaceDeps,
  id: string,
  change: (workspace: Workspace) => Workspace,
): void {
  deps.store.transaction(() => {
    const current = deps.store.getWorkspace(id);
    // The workspace may have been deleted while its deploy ran.
    if (current) deps.store.updateWorkspace(change(current));
  });
}
