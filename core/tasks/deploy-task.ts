import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  cronProblem,
  isServiceName,
  parseTaskManifest,
  type TaskManifest,
} from '../config/index.js';
import { isSlipwayError, SlipwayError } from '../errors.js';
import type { JobContext, JobOutcome } from '../jobs/index.js';
import { LABELS, MANAGED_BY_VALUE, type Runtime, type WorkloadKind } from '../runtime/types.js';
import { digestUnit, redact, type SourceFetcher } from '../source/index.js';
import type { Store } from '../store/types.js';
import { type Clock, isoTime } from '../types.js';
import { LogCopier } from './copy-logs.js';
import { defaultNamespace, loadTaskFromGit, locateUnit } from './load-unit.js';
import { renderWorkload, workloadKind } from './render-workload.js';
import { describeOutcome, describeRef, waitUntilHealthy } from './wait-healthy.js';
import { ownerOf } from './workload-owner.js';

/** A task deploy as the DataTask routes ask for it (seed 001). */
export interface TaskDeployInput {
  repository: string | null;
  directory: string | null;
  /** Default `master`, as the seed says. */
  branch: string;
  /** Default: the repository name. */
  namespace: string | null;
  /** Default: the manifest's name. */
  name: string | null;
  /** null: the manifest's; '': none; else a cron expression that makes a job a cron job. */
  schedule: string | null;
  /** A manifest given in the request (`with-configuration`): JSON text or an object. */
  configuration: unknown;
  identity: string | null;
  /** The pattern and deployment definition the configuration came from, when it did. */
  origin?: TaskOrigin | null;
}

/** Which pattern, and which of its deployment definitions, a task was deployed from. */
export interface TaskOrigin {
  pattern: { id: number; name: string };
  deployment: { id: number; name: string } | null;
}

/** What will be deployed, known before the job is queued (so the 202 can say it). */
export interface TaskDeployPlan {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  repository: string | null;
  directory: string | null;
  branch: string;
  commit: string | null;
  manifest: TaskManifest;
  schedule: string | null;
  origin: TaskOrigin | null;
}

/** The record of a task deployed through DataTask, kept until the task is deleted. */
export interface TaskRecord {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  jobId: string;
  repository: string | null;
  directory: string | null;
  branch: string;
  commit: string | null;
  identity: string | null;
  created: string;
  updated: string;
  origin: TaskOrigin | null;
}

/** The label that makes each deploy of a run-to-completion task its own run. */
const RUN_LABEL = 'slipway.dev/run';

/** The serialization target of a task: one deploy of `namespace/name` at a time. */
export function taskTarget(namespace: string, name: string): string {
  return `task:${namespace}/${name}`;
}

/**
 * Resolves and validates a task deploy before anything is queued: fetches the repository at the
 * branch, reads `manifest.json` (or the given configuration), applies the seed's defaults
 * (namespace = repository, name = manifest name) and the overrides. Bad input is a 4xx here.
 */
export async function planTaskDeploy(
  source: SourceFetcher,
  input: TaskDeployInput,
): Promise<TaskDeployPlan> {
  let manifest: TaskManifest;
  let commit: string | null = null;
  let directory: string | null = null;
  if (
    input.configuration !== undefined &&
    input.configuration !== null &&
    input.configuration !== ''
  ) {
    manifest = parseConfiguration(input.configuration);
    // The repository only supplies the code here; the manifest is the configuration (seed 001),
    // so a directory without a manifest.json (or with a broken one) is fine.
    if (input.repository) {
      const loaded = await locateUnit(source, {
        repository: input.repository,
        directory: input.directory ?? '.',
        branch: input.branch,
      });
      commit = loaded.checkout.commit;
      directory = loaded.directory;
    }
  } else {
    if (!input.repository)
      throw new SlipwayError(
        'BAD_REQUEST',
        'a task deploy needs a repository and directory, or a configuration',
      );
    const loaded = await loadTaskFromGit(source, {
      repository: input.repository,
      directory: input.directory ?? '.',
      branch: input.branch,
    });
    manifest = loaded.value;
    commit = loaded.checkout.commit;
    directory = loaded.directory;
  }
  const namespace =
    input.namespace ?? (input.repository ? defaultNamespace(input.repository) : null);
  if (!namespace)
    throw new SlipwayError('BAD_REQUEST', 'namespace is required when no repository is given');
  const schedule = input.schedule === null ? manifest.schedule : input.schedule.trim() || null;
  if (schedule) {
    const problem = cronProblem(schedule);
    if (problem) throw new SlipwayError('BAD_REQUEST', problem);
    if (manifest.type !== 'job') {
      throw new SlipwayError(
        'BAD_REQUEST',
        `"schedule" is "${schedule}" for a ${manifest.type}; only a job can have a schedule`,
      );
    }
  }
  const name = input.name ?? manifest.name;
  if (manifest.type === 'service' && !isServiceName(name)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `name "${name}" is a service's, and so its Kubernetes Service's, which must start with a letter`,
    );
  }
  return {
    namespace,
    name,
    kind: workloadKind(manifest.type, schedule),
    repository: input.repository,
    directory,
    branch: input.branch,
    commit,
    manifest,
    schedule,
    origin: input.origin ?? null,
  };
}

function parseConfiguration(configuration: unknown): TaskManifest {
  const text =
    typeof configuration === 'string' ? configuration : JSON.stringify(configuration, null, 2);
  const parsed = parseTaskManifest(text, 'configuration');
  if (!parsed.ok) {
    throw new SlipwayError(
      'MANIFEST_INVALID',
      `configuration is invalid: ${parsed.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`,
      {
        problems: parsed.problems,
      },
    );
  }
  return parsed.manifest;
}

export interface DeployTaskDeps {
  store: Store;
  runtime: Runtime;
  source: SourceFetcher;
  clock: Clock;
  /** Where tasks deployed without a repository run on the local runtime. */
  scratchDir: string;
  timeoutMs: number;
  healthPollMs?: number;
}

/**
 * The `TASK_DEPLOY` handler: renders the planned task (at the planned commit), applies it, records
 * it, and waits until it is healthy: a job has succeeded, a deployment or service is ready, a
 * cron job is scheduled. Its output goes to the job log.
 */
export async function deployTask(context: JobContext, deps: DeployTaskDeps): Promise<JobOutcome> {
  const { job, signal, log } = context;
  const plan = job.params as unknown as TaskDeployPlan;
  let checkoutDir: string;
  let directory = '.';
  let digest: string;
  if (plan.repository) {
    // The manifest was read (or given) and validated when the deploy was planned, at this very
    // commit; the job needs only the checkout to run the code from.
    const loaded = await locateUnit(
      deps.source,
      {
        repository: plan.repository,
        directory: plan.directory ?? '.',
        branch: plan.branch,
        commit: plan.commit,
      },
      signal,
    );
    context.setCommit(loaded.checkout.commit);
    log(`fetched ${redact(plan.repository)} at ${loaded.checkout.commit}`);
    checkoutDir = loaded.checkout.dir;
    directory = loaded.directory;
    digest = await digestUnit(loaded.checkout.dir, loaded.directory);
  } else {
    checkoutDir = path.join(deps.scratchDir, plan.namespace, plan.name);
    await mkdir(checkoutDir, { recursive: true });
    digest = createHash('sha256').update(JSON.stringify(plan.manifest)).digest('hex');
  }
  const workload = renderWorkload(plan.manifest, {
    namespace: plan.namespace,
    checkoutDir,
    directory,
    repository: plan.repository ?? '',
    commit: plan.commit ?? '',
    digest,
    name: plan.name,
    schedule: plan.schedule ?? '',
    // A deploy of a run-to-completion task asks for a run (seed 001): each deploy's own run label
    // makes it a new workload, so an identical earlier run, finished or failed, is replaced and
    // the job runs again. A retry of this deploy carries the same label and finds its own run.
    labels: {
      [LABELS.task]: plan.name,
      ...(workloadKind(plan.manifest.type, plan.schedule) === 'job' ? { [RUN_LABEL]: job.id } : {}),
    },
  });
  await refuseTaskTakeover(deps, plan);
  await deps.runtime.ensureNamespace(plan.namespace);
  const [outcome] = await deps.runtime.apply([workload]);
  log(
    `${outcome ? describeOutcome(outcome) : `${describeRef(workload)} applied`} in namespace ${plan.namespace}`,
  );
  // A task an earlier attempt applied is unchanged now; the deploy created or changed it all the same.
  const earlier = job.progress?.action;
  const action = earlier === 'created' || earlier === 'changed' ? earlier : outcome?.action;
  if (action) context.keepProgress({ action });
  const now = isoTime(deps.clock.now());
  const previous = deps.store.getRecord<TaskRecord>('tasks', `${plan.namespace}/${plan.name}`);
  deps.store.putRecord('tasks', `${plan.namespace}/${plan.name}`, plan.namespace, {
    namespace: plan.namespace,
    name: plan.name,
    kind: workload.kind,
    jobId: job.id,
    repository: plan.repository,
    directory: plan.directory,
    branch: plan.branch,
    commit: plan.commit,
    identity: job.identity,
    created: previous?.created ?? now,
    updated: now,
    origin: plan.origin ?? null,
  } satisfies TaskRecord);

  const ref = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
  const copier = new LogCopier(deps.runtime, log);
  if (outcome?.action !== 'unchanged' || (await deps.runtime.status(ref)).health === 'progressing')
    copier.follow(ref);
  try {
    const [status] = await waitUntilHealthy(deps.runtime, [ref], {
      timeoutMs: deps.timeoutMs,
      signal,
      log,
      clock: deps.clock,
      pollMs: deps.healthPollMs ?? 250,
      lastLines: (r) => copier.lastLines(r),
      beforeFailure: (r) => copier.drain([r], 2000),
    });
    await copier.drain([ref], 2000);
    const message = `${describeRef(workload)} ${action ?? 'applied'}: ${status?.message ?? 'healthy'}`;
    return {
      result: {
        namespace: plan.namespace,
        name: plan.name,
        kind: workload.kind,
        action: action ?? null,
      },
      message,
    };
  } catch (error) {
    // A withdrawn run-to-completion task is stopped, not left running; so is one that outlived
    // the wait, or the deploy would say it failed while it runs on (and later succeeds).
    const timedOut = isSlipwayError(error, 'TIMEOUT');
    if (workload.kind === 'job' && signal.aborted && !timedOut) {
      await deps.runtime.delete(ref);
      throw error;
    }
    await copier.drain([ref], 500);
    if (workload.kind !== 'job' || !timedOut) throw error;
    await deps.runtime.delete(ref);
    const stopped = `${describeRef(workload)} stopped: it did not finish within ${Math.round(deps.timeoutMs / 1000)} s`;
    log(stopped);
    throw new SlipwayError('TIMEOUT', `${error.message}; ${stopped}`, {
      details: error.details,
      cause: error,
      ...(error.hint ? { hint: error.hint } : {}),
    });
  } finally {
    await copier.stop();
  }
}

/**
 * Refuses a task deploy whose name is held in its namespace by a workload of a workspace, a
 * pipeline run or a nullplatform deployment (README, "How a deploy works"): applying it would
 * replace theirs. An earlier deploy of a task under that name is replaced, as a redeploy should.
 * Called before the deploy is queued and again before it applies, as things may change between.
 */
export async function refuseTaskTakeover(
  deps: { store: Store; runtime: Runtime },
  plan: Pick<TaskDeployPlan, 'namespace' | 'name'>,
): Promise<void> {
  const present = await deps.runtime.list({
    namespace: plan.namespace,
    labels: { [LABELS.managedBy]: MANAGED_BY_VALUE },
  });
  const held = present.flatMap((info) => {
    const owner = info.name === plan.name ? ownerOf(deps.store, info) : undefined;
    return owner && owner.kind !== 'task' ? [`${describeRef(info)} of ${owner.text}`] : [];
  });
  if (held.length === 0) return;
  throw new SlipwayError(
    'CONFLICT',
    `namespace ${plan.namespace} already has ${held.join(', ')}; deploying task '${plan.name}' would take ${held.length === 1 ? 'it' : 'them'} over, so nothing was applied: deploy it under another name, or in another namespace`,
  );
}
