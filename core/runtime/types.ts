/**
 * The Runtime port (DESIGN.md section 5). Workloads are plain data rendered by `core/tasks` from
 * manifests; an adapter turns them into Kubernetes objects or local processes.
 */

export const WORKLOAD_KINDS = ['job', 'cronjob', 'deployment', 'service'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface EnvVar {
  name: string;
  value: string;
}

export interface Resources {
  cpuRequest?: string;
  cpuLimit?: string;
  memoryRequest?: string;
  memoryLimit?: string;
}

/** How a service is exposed outside the cluster (an Ingress on Kubernetes). */
export interface Published {
  access?: string;
  prefix?: string;
  rewrite?: string;
  timeoutMs?: number;
  stickySessions?: boolean;
  bypassAuth?: boolean;
}

/** A service's HTTP health check (nullplatform scope capabilities, DESIGN.md 7.4). */
export interface HealthCheck {
  path: string;
  periodSeconds: number;
  timeoutSeconds: number;
  initialDelaySeconds: number;
}

/** Where a workload's definition came from. */
export interface WorkloadSource {
  repository: string;
  commit: string;
  directory: string;
  /** Content digest of the task's directory (see `digestDirectory`). */
  digest: string;
}

/** One thing to run, rendered from a task manifest. */
export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** Slipway's own labels (app.kubernetes.io/managed-by, slipway.dev/*) plus the manifest's. */
  labels: Record<string, string>;
  image: string | null;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
  /** The command and its arguments (`cmd` of the manifest). */
  command: string[] | null;
  env: EnvVar[];
  /** Cron expression; set only for kind `cronjob`. */
  schedule: string | null;
  replicas: number;
  /**
   * Container port of a service as the manifest gives it; null when unset (Kubernetes then uses
   * 8080, the local runtime a free port from 8080 up) and for the other kinds.
   */
  port: number | null;
  resources: Resources;
  published: Published | null;
  /** How a service's health is checked; null: GET /health every 10 s, 5 s timeout, 5 s initial delay. */
  healthCheck?: HealthCheck | null;
  /** Directory of the task inside the checkout: the local runtime runs `command` there. */
  workdir: string | null;
  source: WorkloadSource | null;
  /**
   * What decides created / changed / unchanged: a hash of everything above except `workdir` and
   * `source.commit`, plus the directory digest. A push that leaves a task's directory and
   * manifest alone leaves its workload unchanged, even though the commit moved.
   */
  specHash: string;
}

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export type ApplyAction = 'created' | 'changed' | 'unchanged';

export interface ApplyOutcome extends WorkloadRef {
  action: ApplyAction;
  /**
   * Why a workload whose spec did not change was `changed`: what had drifted from what Slipway
   * applied (Kubernetes: a field someone changed, an object someone deleted).
   */
  drift?: string;
  /** Why else it was `changed` (a job that had failed runs again). */
  reason?: string;
}

export interface ApplyOptions {
  /** Compute the outcome without changing anything (Kubernetes: server-side dry run). */
  dryRun?: boolean;
}

/** A workload as the runtime knows it. */
export interface WorkloadInfo extends WorkloadRef {
  labels: Record<string, string>;
  /** ISO-8601 UTC. */
  created: string;
  schedule: string | null;
  replicas: number;
  /** The `specHash` it was applied with; null when it carries none. */
  specHash: string | null;
}

/**
 * Health of a workload, judged the way Argo CD does: `progressing` until it is `healthy` (pods
 * ready, job succeeded, cron job scheduled) or has `failed` (job failed, crash loop).
 */
export type Health = 'progressing' | 'healthy' | 'failed' | 'missing';

/** Phase in the DataTask vocabulary (DESIGN.md section 7.2). */
export type WorkloadPhase = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

export interface WorkloadStatus extends WorkloadRef {
  health: Health;
  phase: WorkloadPhase;
  readyReplicas: number;
  desiredReplicas: number;
  /** Why it is in this state, in a sentence ("exited with code 1", "3 restarts"...). */
  message: string;
  startTime: string | null;
  completionTime: string | null;
  exitCode: number | null;
  /**
   * Where a service answers, when the runtime knows (e.g. http://127.0.0.1:8081); on the local
   * runtime, where each replica answers, comma-separated.
   */
  address: string | null;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** One running instance of a workload (a pod, or a process on the local runtime). */
export interface PodInfo {
  namespace: string;
  name: string;
  workload: WorkloadRef;
  phase: PodPhase;
  ready: boolean;
  restarts: number;
  startTime: string | null;
}

export interface LogLine {
  /** ISO-8601 UTC. */
  time: string;
  line: string;
  /** Which instance (pod) wrote it. */
  pod: string;
}

export interface LogOptions {
  /** Keep yielding new lines until the workload's current run ends or `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

export interface ListFilter {
  kind?: WorkloadKind;
  namespace?: string;
  /** Every given label must match. */
  labels?: Record<string, string>;
}

/**
 * A scope of a blue-green rollout (DESIGN.md section 7.4): one stable address in front of the
 * service workloads of its deployments, with the traffic split between them.
 */
export interface TrafficScope {
  namespace: string;
  /** The scope's name (a DNS label): the Service (Kubernetes) or proxy (local) clients reach. */
  name: string;
  /** The port clients reach it on (Kubernetes: the Service's; local: the proxy's, when free). */
  port: number;
  /** A Gateway API gateway: weights then go to an HTTPRoute instead of replica counts. */
  gateway: string | null;
  /** Instances the scope runs in all; without a gateway, Kubernetes splits them by weight. */
  instances: number;
}

/** The share (0-100) of a scope's requests a service workload of its namespace gets. */
export interface TrafficWeight {
  workload: string;
  weight: number;
}

/** How a change of traffic may wait for the instances that are to take it. */
export interface TrafficOptions {
  /**
   * How long instances that must start first (Kubernetes without a gateway scales a workload up,
   * and waits for its pods to be ready, before it scales another down) may take. Default 5 min.
   */
  readyWithinMs?: number;
  /** Ends the wait for those instances; what was scaled down stays as it was. */
  signal?: AbortSignal;
}

/** What every runtime adapter implements. */
export interface Runtime {
  readonly name: 'local' | 'kubernetes';
  /** Restores what the runtime ran before a restart (local) or checks connectivity. */
  start(): Promise<void>;
  /** Stops watching and supervising; local processes are stopped and restored on next start. */
  stop(): Promise<void>;
  ensureNamespace(namespace: string): Promise<void>;
  /** Namespaces Slipway created. */
  listNamespaces(): Promise<string[]>;
  /**
   * Deletes a namespace Slipway created (what else it holds goes with it on Kubernetes) when
   * nothing Slipway deployed is left in it; false when it is kept (not Slipway's, still in use,
   * or gone already). For a pull request's preview, whose namespace is its own.
   */
  removeNamespace(namespace: string): Promise<boolean>;
  /**
   * Why this runtime could never run `workload`, whatever the machine or cluster holds (the local
   * runtime runs `cmd`, Kubernetes runs images), or null. Pure: deploys ask it before they are
   * queued, so such a deploy is a 4xx and nothing runs; apply refuses the same.
   */
  cannotRun(workload: Workload): string | null;
  /**
   * Directories on this machine that what the runtime runs needs kept: the local runtime's
   * workloads run from their checkouts. Kubernetes runs images and has none.
   */
  workdirs?(): string[];
  apply(workloads: Workload[], options?: ApplyOptions): Promise<ApplyOutcome[]>;
  /** Deletes the workload and stops what runs for it; false when it did not exist. */
  delete(ref: WorkloadRef): Promise<boolean>;
  list(filter?: ListFilter): Promise<WorkloadInfo[]>;
  pods(namespace?: string): Promise<PodInfo[]>;
  status(ref: WorkloadRef): Promise<WorkloadStatus>;
  /** Output of the workload's current run (every instance), oldest first. */
  logs(ref: WorkloadRef, options?: LogOptions): AsyncIterable<LogLine>;
  /**
   * Splits a scope's traffic between service workloads by weight (creating the scope's address on
   * first use) and answers the address clients reach it at. Weights add up to 100.
   */
  setTraffic(
    scope: TrafficScope,
    weights: TrafficWeight[],
    options?: TrafficOptions,
  ): Promise<{ address: string }>;
  /**
   * Calls `listener` whenever the state of a workload may have changed (a process started,
   * exited or became ready; a watched object or pod changed), so a wait for health need not
   * poll; calls may come in bursts, or when nothing a caller cares for changed. Answers the
   * function that stops the calls.
   */
  onChange(listener: () => void): () => void;
}

/**
 * Why a job whose spec did not change is applied again: it failed, and a deploy is how a failed
 * task is tried again (one that succeeded is left as it ended).
 */
export const RERUN_FAILED_JOB = 'it failed before: run again';

/** Labels Slipway puts on everything it owns (DESIGN.md section 5). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  workspace: 'slipway.dev/workspace',
  task: 'slipway.dev/task',
  pipeline: 'slipway.dev/pipeline',
  scope: 'slipway.dev/scope',
  deployment: 'slipway.dev/deployment',
} as const;

export const MANAGED_BY_VALUE = 'slipway';
