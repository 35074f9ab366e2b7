import type { ApiToken, Job, JobLogLine, JobStatus, JobType, Workspace } from '../types.js';

/** A slice of a collection: `offset`/`limit` plus an optional sort on a named field. */
export interface PageRequest {
  offset: number;
  limit: number;
  sort?: { field: string; direction: 'asc' | 'desc' };
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Fields of a workspace a collection may be sorted by. */
export const WORKSPACE_SORT_FIELDS = ['name', 'created', 'lastModified', 'status'] as const;
/** Fields of a job a collection may be sorted by. */
export const JOB_SORT_FIELDS = ['created', 'status', 'type', 'startTime', 'endTime'] as const;

/**
 * Collections of JSON records the domain keeps beside jobs: tasks deployed through DataTask
 * (`namespace/name`), pipeline runs (by id), and the nullplatform model (by integer id, filed
 * under their application).
 */
export const RECORD_COLLECTIONS = [
  'tasks',
  'pipelines',
  'np-applications',
  'np-builds',
  'np-releases',
  'np-scopes',
  'np-deployments',
  'github-installations',
  'github-reports',
  /** Names of revoked API tokens: never given to another token (owners are named by them). */
  'retired-token-names',
  /** The Slipway process using the data directory (`claimDataDir`). */
  'data-dir-holder',
  /** How far back the GitHub App has looked for webhook deliveries that failed. */
  'github-redeliveries',
  /** The branch head the last poll of a workspace saw (SLIPWAY_POLL_SECONDS). */
  'branch-heads',
  /** What the last drift check of a workspace found (SLIPWAY_DRIFT_SECONDS). */
  'workspace-drift',
  /** Who paused a workspace's deploys, when and why, and what was held since. */
  'workspace-pauses',
  /** The workspaces made for pull requests (`previews`), under the workspace they preview. */
  'workspace-previews',
  /** Workspaces whose pull requests get previews. */
  'workspace-previews-on',
  /** Pull requests closed lately, of repositories with previews: late events make none. */
  'closed-pull-requests',
  /** Previews of pull requests reopened while their last preview was being removed. */
  'preview-reopens',
  /** A GitHub repository's former names (renames, transfers), each with its repository id. */
  'github-renames',
] as const;
export type RecordCollection = (typeof RECORD_COLLECTIONS)[number];

/**
 * A message for the world outside (a GitHub check run update), written in the same transaction
 * as the change it reports and sent afterwards by a sender that retries (DESIGN.md section 4).
 */
export interface OutboxEntry {
  /** Increasing in the order of writing. */
  id: number;
  /** What kind of message, e.g. `github-check-run`. */
  topic: string;
  /** What it is about (a job id): a later entry of the same topic and key supersedes it. */
  key: string;
  payload: Record<string, unknown>;
  created: string;
  state: OutboxState;
  attempts: number;
  /** Epoch ms before which it is not sent (again). */
  nextAttempt: number;
  lastError: string | null;
  /** When it was sent, skipped or given up on. */
  done: string | null;
}

export type OutboxState = 'pending' | 'sent' | 'skipped' | 'dead';

export type NewOutboxEntry = Pick<OutboxEntry, 'topic' | 'key' | 'payload' | 'created'> & {
  nextAttempt: number;
};

export interface JobFilter {
  workspaceId?: string;
  status?: JobStatus[];
  type?: JobType;
  target?: string;
  /** RUNNING jobs whose lease lapsed before this epoch-ms instant. */
  leaseExpiredBefore?: number;
}

/** What must hold for a conditional job update to apply (compare-and-set). */
export interface JobExpectation {
  status?: JobStatus[];
  leaseOwner?: string;
}

export interface JobCount {
  type: JobType;
  status: JobStatus;
  count: number;
}

export type JobPatch = Partial<Omit<Job, 'id' | 'created' | 'type'>>;

export interface NewLogLine {
  time: string;
  line: string;
}

/**
 * The persistence port. Synchronous on purpose: better-sqlite3 is synchronous and fastest that
 * way, and `transaction` can then make several calls atomic. Unsorted collections come back in
 * the default order: workspaces by name, jobs newest first.
 *
 * Implementations: `sqlite.ts` (durable) and `memory.ts` (tests, the Action's direct mode). One
 * contract test suite runs against both.
 */
export interface Store {
  /** Runs `fn` atomically; a throw rolls everything back. Nested calls join the outer one. */
  transaction<T>(fn: () => T): T;
  close(): void;

  /** Throws SlipwayError CONFLICT when the name is taken. */
  insertWorkspace(workspace: Workspace): void;
  getWorkspace(id: string): Workspace | undefined;
  findWorkspaceByName(name: string): Workspace | undefined;
  listWorkspaces(page: PageRequest): Page<Workspace>;
  /**
   * Workspaces whose repository URL contains `text`, ignoring ASCII case, by name: candidates
   * for a caller that then matches the URL exactly (cheaper than listing every workspace).
   */
  findWorkspacesMentioning(text: string): Workspace[];
  /** Replaces the stored workspace with the same id; false when it does not exist. */
  updateWorkspace(workspace: Workspace): boolean;
  /** Deletes the workspace; its jobs stay, with `workspaceId` set to null. */
  deleteWorkspace(id: string): boolean;

  /** Throws SlipwayError CONFLICT when `deliveryId` is already taken. */
  insertJob(job: Job): void;
  getJob(id: string): Job | undefined;
  findJobByDelivery(deliveryId: string): Job | undefined;
  listJobs(filter: JobFilter, page: PageRequest): Page<Job>;
  /**
   * How many jobs there are of each type and status (only pairs with at least one job). Kept up
   * to date as jobs are written, so it costs the same at any number of jobs: `/metrics` reads it
   * on every scrape.
   */
  countJobs(): JobCount[];
  /**
   * Applies `patch` when `expect` holds (all given conditions) and returns the updated job;
   * undefined when the job is missing or the expectation failed.
   */
  updateJob(id: string, patch: JobPatch, expect?: JobExpectation): Job | undefined;
  /**
   * Atomically takes the oldest QUEUED job with `runAfter <= now` whose target has no RUNNING
   * job, marks it RUNNING with the lease, sets `startTime` to now when unset, and returns it.
   */
  claimJob(owner: string, now: number, leaseExpires: number): Job | undefined;
  /** Deletes the job and its log lines. */
  deleteJob(id: string): boolean;

  /** Appends lines after the job's last one; returns the sequence the next line will get. */
  appendJobLogs(jobId: string, lines: NewLogLine[]): number;
  /** Lines with `sequence >= fromSequence`, in order, at most `limit`. */
  readJobLogs(jobId: string, fromSequence: number, limit: number): JobLogLine[];
  /** The last `limit` lines, in order: a log's end without reading all of it. */
  readJobLogTail(jobId: string, limit: number): JobLogLine[];

  /** Throws SlipwayError CONFLICT when the name is taken. */
  insertApiToken(token: ApiToken): void;
  findApiTokenByHash(hash: string): ApiToken | undefined;
  listApiTokens(): ApiToken[];
  touchApiToken(id: string, lastUsed: string): void;
  deleteApiToken(id: string): boolean;

  /** Creates or replaces the JSON record `key` of a collection, filed under `namespace`. */
  putRecord(collection: RecordCollection, key: string, namespace: string, value: unknown): void;
  getRecord<T>(collection: RecordCollection, key: string): T | undefined;
  /** The records of a collection (of one namespace when given), ordered by key. */
  listRecords<T>(collection: RecordCollection, namespace?: string): T[];
  deleteRecord(collection: RecordCollection, key: string): boolean;

  /** Appends an entry to the outbox; returns its id. */
  addOutbox(entry: NewOutboxEntry): number;
  /**
   * Pending entries due at `now` (epoch ms), oldest first, at most `limit`; of `topics` only
   * when given (each sender sends its own).
   */
  dueOutbox(now: number, limit: number, topics?: readonly string[]): OutboxEntry[];
  /** The entries of a topic and key, oldest first. */
  outboxOf(topic: string, key: string): OutboxEntry[];
  /** Ends a pending entry: sent, skipped (superseded) or dead (given up). False if not pending. */
  finishOutbox(
    id: number,
    state: Exclude<OutboxState, 'pending'>,
    done: string,
    error?: string,
  ): boolean;
  /** Puts a pending entry off until `nextAttempt`, counting the failed attempt. */
  deferOutbox(id: number, nextAttempt: number, error: string): boolean;

  /**
   * The integer id of `name` in `sequence`: assigned (1, 2, ...) the first time the name is seen
   * and the same ever after; an id is never given to another name.
   */
  stableId(sequence: string, name: string): number;
}
