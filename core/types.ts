/**
 * The shared vocabulary of Slipway (DESIGN.md section 3). These strings are stored in SQLite,
 * returned by every REST surface, reported in check runs and set as Action outputs unchanged.
 */

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETE', 'ERROR', 'STOPPED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETE', 'ERROR', 'STOPPED'];

export const JOB_TYPES = [
  'WORKSPACE_DEPLOY',
  'TASK_DEPLOY',
  'PIPELINE_RUN',
  'CONFIG_LOAD',
  'ROLLOUT',
  'DELETE',
] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const WORKSPACE_STATUSES = ['READY', 'PROVISIONING', 'FAILED'] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];

/** A durable unit of asynchronous work, run by the worker pool. */
export interface Job {
  id: string;
  /** ISO-8601 UTC. */
  created: string;
  type: JobType;
  status: JobStatus;
  /** Attempts already made before the current one (0 on the first run). */
  attempt: number;
  /** Attempts allowed in all; a retryable failure with `attempt + 1 < maxAttempts` is retried. */
  maxAttempts: number;
  startTime: string | null;
  endTime: string | null;
  exitCode: number | null;
  commitId: string | null;
  message: string | null;
  /** Serialization key: two jobs with the same target never run at once. */
  target: string;
  workspaceId: string | null;
  /** What the job acts on; its shape belongs to the job type's handler. */
  params: Record<string, unknown>;
  /** What the job did (created, changed, pruned...), set when it ends. */
  result: Record<string, unknown> | null;
  /**
   * What its handler kept while it ran, for a later attempt of the same job to go on from
   * (see `JobContext.keepProgress`); cleared when the job completes or fails. Never shown.
   */
  progress: Record<string, unknown> | null;
  /** Idempotency key (e.g. a GitHub delivery id, scoped by the receiver). */
  deliveryId: string | null;
  /** Who asked for it (admin, token:<name>, an e-mail). */
  identity: string | null;
  /** Epoch ms before which the job is not claimed (retry backoff). */
  runAfter: number;
  leaseOwner: string | null;
  /** Epoch ms at which the lease lapses unless renewed. */
  leaseExpires: number | null;
  /** ISO-8601 UTC of the last change. */
  updated: string;
}

/** A repository (URL + branch) linked to a namespace; deploying it syncs every unit it defines. */
export interface Workspace {
  id: string;
  name: string;
  alias: string;
  repositoryUrl: string;
  branch: string;
  namespace: string;
  status: WorkspaceStatus;
  /** HMAC key of the workspace's GitHub webhook. */
  deploymentSecret: string;
  /** Identity that created it; it (and the admin) may read the deployment secret. */
  owner: string | null;
  /** How long a deploy waits for its workloads to become healthy. */
  timeoutSeconds: number;
  created: string;
  lastModified: string;
  lastJobId: string | null;
  lastCommitId: string | null;
  lastDeployed: string | null;
}

/** A stored API token: only its SHA-256 hash is kept. */
export interface ApiToken {
  id: string;
  name: string;
  hash: string;
  created: string;
  lastUsed: string | null;
}

/** One numbered line of a job's log. */
export interface JobLogLine {
  sequence: number;
  /** ISO-8601 UTC. */
  time: string;
  line: string;
}

/** The minimal logger `core/` uses; pino satisfies it. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything, for tests and embedders that do not care. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Time, injected so tests and the engine agree on "now". */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** ISO-8601 UTC string of an epoch-ms instant. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
