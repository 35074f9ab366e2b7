import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { SlipwayError } from './errors.js';
import { type BackoffPolicy, JobQueue, WorkerPool } from './jobs/index.js';
import { type Periodic, runPeriodically } from './periodic.js';
import { PipelineService, runPipeline, settleEndedPipelineRun } from './pipelines/index.js';
import { RolloutService, runRollout, settleEndedRollout } from './rollouts/index.js';
import type { Runtime } from './runtime/types.js';
import type { SourceFetcher } from './source/types.js';
import type { Store } from './store/types.js';
import { deployTask, loadConfiguration, TaskService } from './tasks/index.js';
import {
  type Clock,
  type Job,
  type Logger,
  silentLogger,
  systemClock,
  type Workspace,
} from './types.js';
import {
  BranchPoller,
  type DriftState,
  DriftWatcher,
  type DriftWatcherOptions,
  deployWorkspace,
  driftState,
  type PauseListener,
  PreviewService,
  settleEndedWorkspaceDeploy,
  settleInterruptedDeploys,
  WorkspaceService,
} from './workspaces/index.js';

/** Everything from outside the engine; hosts (app/main.ts, action/run.ts) build these. */
export interface EngineDeps {
  store: Store;
  runtime: Runtime;
  source: SourceFetcher;
  logger?: Logger;
  clock?: Clock;
  /** Jobs run at once (SLIPWAY_WORKERS). */
  workers?: number;
  /** Identifies this process in job leases; random by default. */
  owner?: string;
  leaseMs?: number;
  pollMs?: number;
  backoff?: BackoffPolicy;
  maxAttempts?: number;
  healthPollMs?: number;
  /** Where tasks deployed without a repository run on the local runtime. */
  scratchDir?: string;
  /** How long a task deploy (DataTask) or a pipeline task may take to become healthy. */
  taskTimeoutMs?: number;
  /**
   * `all`: the host holds the data directory lock, so every RUNNING job it does not own is an
   * orphan of a dead process and is queued again at start. `expired`: wait for leases to lapse.
   */
  orphans?: 'all' | 'expired';
  /**
   * Poll each workspace's branch this often and deploy a head that moved (SLIPWAY_POLL_SECONDS);
   * off when unset.
   */
  pollBranchesMs?: number;
  /**
   * Compare each deployed workspace with its deployed commit this often and record what drifted
   * (SLIPWAY_DRIFT_SECONDS); off when unset.
   */
  driftCheckMs?: number;
  /** Queue a deploy of the deployed commit when drift is found (SLIPWAY_SELF_HEAL). */
  selfHeal?: boolean;
  /**
   * Where a deploy of `commit` that a branch poll queues reports, as a push's would (the GitHub
   * App's check run and deployment, when it is installed on the repository); nowhere when
   * unset or undefined. The job's `params.origin`.
   */
  reportsTo?: (workspace: Workspace, commit: string) => Record<string, unknown> | undefined;
  /** Told when a workspace's drift appears or changes, and when it is gone (a notification). */
  driftChanged?: DriftWatcherOptions['driftChanged'];
  /** Told when a workspace's deploys are paused or resumed (a notification). */
  pauseChanged?: PauseListener;
  /** See `WorkspaceServiceDeps.deleted`. */
  workspaceDeleted?: (workspace: Workspace) => void;
}

/** A workspace's drift as the surfaces show it (see {@link Engine.driftOf}). */
export interface WorkspaceDrift extends DriftState {
  workspace: Workspace;
  everySeconds: number | null;
  selfHeal: boolean;
}

/** Jobs as the surfaces see them: read, withdraw, delete, logs. */
export interface JobsApi {
  get: JobQueue['get'];
  list: JobQueue['list'];
  logs: JobQueue['logs'];
  awaitLogs: JobQueue['awaitLogs'];
  withdraw: JobQueue['withdraw'];
  /** Withdraws the job if it is still QUEUED or RUNNING, waits for its work to stop, deletes it. */
  delete(id: string, by: string | null): Promise<void>;
}

export interface Engine {
  workspaces: WorkspaceService;
  /** Workspaces made for pull requests, and removed when they close. */
  previews: PreviewService;
  tasks: TaskService;
  pipelines: PipelineService;
  rollouts: RolloutService;
  jobs: JobsApi;
  runtime: Runtime;
  /**
   * What the last drift check found of the workspace (NOT_FOUND for an unknown one), and how
   * drift is checked: every `everySeconds` (null: never), healed or only reported.
   */
  driftOf(workspaceId: string): WorkspaceDrift;
  /**
   * Compares the workspace with its deployed commit now, heals as the checks do, and answers
   * what it found; CONFLICT saying why when it cannot be compared now (a deploy under way).
   */
  checkDrift(workspaceId: string): Promise<WorkspaceDrift>;
  /** Restores the runtime and starts the workers. */
  start(): Promise<void>;
  /**
   * Stops claiming, lets running jobs finish for up to `graceMs` (default 0), puts the rest
   * back in the queue with their leases released, and stops the runtime.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Wires the queue, the worker pool, the job handlers and the domain services. The only entry
 * point hosts use.
 *
 * @example
 * const engine = createEngine({ store, runtime, source, logger });
 * await engine.start();
 * const { job } = engine.workspaces.deploy(workspace.id);
 */
export function createEngine(deps: EngineDeps): Engine {
  const clock = deps.clock ?? systemClock;
  const scratchDir = deps.scratchDir ?? path.join(os.tmpdir(), 'slipway-scratch');
  const taskTimeoutMs = deps.taskTimeoutMs ?? 10 * 60 * 1000;
  const logger = deps.logger ?? silentLogger;
  const queue = new JobQueue(deps.store, clock, deps.maxAttempts);
  const pool = new WorkerPool({
    store: deps.store,
    queue,
    clock,
    logger,
    owner: deps.owner ?? randomUUID(),
    workers: deps.workers ?? 4,
    leaseMs: deps.leaseMs,
    pollMs: deps.pollMs,
    backoff: deps.backoff,
    handlers: {
      WORKSPACE_DEPLOY: {
        run: (context) =>
          deployWorkspace(context, {
            store: deps.store,
            runtime: deps.runtime,
            source: deps.source,
            clock,
            healthPollMs: deps.healthPollMs,
          }),
        timeoutMs: (job) => deployTimeoutMs(deps.store, job),
        ended: (job, end) => settleEndedWorkspaceDeploy(job, end, { store: deps.store }),
      },
      TASK_DEPLOY: {
        run: (context) =>
          deployTask(context, {
            store: deps.store,
            runtime: deps.runtime,
            source: deps.source,
            clock,
            scratchDir,
            timeoutMs: taskTimeoutMs,
            healthPollMs: deps.healthPollMs,
          }),
        timeoutMs: () => taskTimeoutMs * 2 + 5 * 60 * 1000,
      },
      CONFIG_LOAD: {
        run: (context) => loadConfiguration(context, deps.source),
        timeoutMs: () => 10 * 60 * 1000,
      },
      PIPELINE_RUN: {
        run: (context) =>
          runPipeline(context, {
            store: deps.store,
            runtime: deps.runtime,
            source: deps.source,
            clock,
            taskTimeoutMs,
            healthPollMs: deps.healthPollMs,
          }),
        timeoutMs: () => 24 * 60 * 60 * 1000,
        ended: (job, end) => settleEndedPipelineRun(job, end, { store: deps.store, clock }),
      },
      ROLLOUT: {
        run: (context) =>
          runRollout(context, {
            records: rollouts.records,
            runtime: deps.runtime,
            source: deps.source,
            clock,
            pollMs: deps.healthPollMs,
          }),
        timeoutMs: () => 2 * 60 * 60 * 1000,
        ended: (job, end) => settleEndedRollout(job, end, { records: rollouts.records, clock }),
      },
    },
  });
  const settled = (jobId: string) => pool.settled(jobId);
  const rollouts = new RolloutService({ store: deps.store, queue, clock, settled });
  const tasks = new TaskService({
    store: deps.store,
    queue,
    runtime: deps.runtime,
    source: deps.source,
    settled,
  });
  const pipelines = new PipelineService({
    store: deps.store,
    queue,
    source: deps.source,
    runtime: deps.runtime,
    clock,
    settled,
  });
  const workspaces = new WorkspaceService({
    store: deps.store,
    queue,
    runtime: deps.runtime,
    clock,
    logger,
    settled: (jobId) => pool.settled(jobId),
    ...(deps.pauseChanged ? { pauseChanged: deps.pauseChanged } : {}),
    ...(deps.workspaceDeleted ? { deleted: deps.workspaceDeleted } : {}),
  });
  const previews = new PreviewService({
    store: deps.store,
    workspaces,
    clock,
    logger,
    ...(deps.reportsTo ? { reportsTo: deps.reportsTo } : {}),
  });
  const jobs: JobsApi = {
    get: (id) => queue.get(id),
    list: (filter, page) => queue.list(filter, page),
    logs: (id, sequence, limit) => queue.logs(id, sequence, limit),
    awaitLogs: (id, sequence, limit, waitMs, signal) =>
      queue.awaitLogs(id, sequence, limit, waitMs, signal),
    withdraw: (id, by) => queue.withdraw(id, by),
    async delete(id, by) {
      const job = queue.get(id);
      if (job.status === 'QUEUED' || job.status === 'RUNNING') {
        try {
          queue.withdraw(id, by);
        } catch (error) {
          if (!(error instanceof SlipwayError && error.code === 'CONFLICT')) throw error;
        }
        await pool.settled(id);
      }
      queue.deleteEnded(id);
    },
  };
  let started = false;
  const poller = deps.pollBranchesMs
    ? new BranchPoller({
        store: deps.store,
        source: deps.source,
        workspaces,
        logger,
        intervalMs: deps.pollBranchesMs,
        ...(deps.reportsTo ? { reportsTo: deps.reportsTo } : {}),
      })
    : undefined;
  // Checks on demand even when none run on their own: a check then tells for a minute.
  const checksEvery = deps.driftCheckMs ?? 0;
  const selfHeal = checksEvery > 0 && deps.selfHeal === true;
  const driftWatcher = new DriftWatcher({
    store: deps.store,
    source: deps.source,
    runtime: deps.runtime,
    workspaces,
    clock,
    logger,
    intervalMs: checksEvery,
    selfHeal,
    ...(deps.driftChanged ? { driftChanged: deps.driftChanged } : {}),
  });
  const driftOf = (workspaceId: string): WorkspaceDrift => {
    const workspace = workspaces.get(workspaceId);
    return {
      workspace,
      ...driftState(deps.store, workspace, clock.now()),
      everySeconds: checksEvery > 0 ? checksEvery / 1000 : null,
      selfHeal,
    };
  };
  // The checkout cache would grow with every commit deployed: what no workload runs from and
  // no deploy used lately goes, at start and every hour.
  let sweeper: NodeJS.Timeout | undefined;
  let pauseExpiry: Periodic | undefined;
  let previewRemoval: Periodic | undefined;
  const sweep = () =>
    deps.source.evict?.(deps.runtime.workdirs?.() ?? []).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not evict unused checkouts');
    });
  return {
    workspaces,
    previews,
    tasks,
    pipelines,
    rollouts,
    jobs,
    runtime: deps.runtime,
    driftOf,
    async checkDrift(workspaceId) {
      await driftWatcher.checkNow(workspaceId);
      return driftOf(workspaceId);
    },
    async start() {
      if (started) return;
      started = true;
      await deps.runtime.start();
      // Before any job is claimed: a deploy that ended while no one could settle it is settled.
      try {
        await settleInterruptedDeploys({ store: deps.store, runtime: deps.runtime, clock });
      } catch (error) {
        logger.warn({ err: error }, 'could not settle the deploys a stop interrupted');
      }
      pool.start(deps.orphans ?? 'expired');
      poller?.start();
      if (checksEvery > 0) driftWatcher.start();
      // Pauses set to end by themselves end within a few seconds of their time.
      pauseExpiry = runPeriodically(
        PAUSE_EXPIRY_MS,
        async () => workspaces.resumeExpired(),
        (error) => logger.warn({ err: error }, 'could not end the pauses whose time came'),
      );
      // The previews of pull requests that closed go (also those a stop left half removed).
      previewRemoval = runPeriodically(
        PREVIEW_REMOVAL_MS,
        () => previews.removeClosed(),
        (error) =>
          logger.warn({ err: error }, 'could not remove the previews of closed pull requests'),
      );
      void sweep();
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    },
    async stop(graceMs = 0) {
      if (!started) return;
      started = false;
      clearInterval(sweeper);
      await pauseExpiry?.stop();
      await previewRemoval?.stop();
      await poller?.stop();
      await driftWatcher.stop();
      await pool.stop(graceMs);
      await deps.runtime.stop();
    },
  };
}

/** How often pauses set to end by themselves are looked at. */
const PAUSE_EXPIRY_MS = 5000;

/** How often the previews of closed pull requests are looked for, to be removed. */
const PREVIEW_REMOVAL_MS = 2000;

/** How often unused checkouts are evicted. */
const SWEEP_MS = 60 * 60 * 1000;

/** A deploy may take its health timeout plus time to fetch and apply; past twice that it stops. */
function deployTimeoutMs(store: Store, job: Job): number {
  const workspace = job.workspaceId ? store.getWorkspace(job.workspaceId) : undefined;
  const healthMs = (workspace?.timeoutSeconds ?? 600) * 1000;
  return healthMs * 2 + 5 * 60 * 1000;
}
