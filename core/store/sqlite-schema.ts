import type { ApiToken, Job, Workspace } from '../types.js';
import type { Anchor } from './page-anchors.js';
import { sortOf } from './sort.js';
import { JOB_SORT_FIELDS, type JobFilter, type OutboxEntry, type PageRequest } from './types.js';

// The SQLite schema and the mapping between rows and domain objects: plain data and SQL text,
// no connection (that, and the only import of better-sqlite3, stay in sqlite.ts).

/**
 * Schema steps, applied in order in one transaction and counted in `PRAGMA user_version`. Append
 * a step to change the schema; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    alias TEXT NOT NULL,
    repository_url TEXT NOT NULL,
    branch TEXT NOT NULL,
    namespace TEXT NOT NULL,
    status TEXT NOT NULL,
    deployment_secret TEXT NOT NULL,
    owner TEXT,
    timeout_seconds INTEGER NOT NULL,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    last_job_id TEXT,
    last_commit_id TEXT,
    last_deployed TEXT
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    start_time TEXT,
    end_time TEXT,
    exit_code INTEGER,
    commit_id TEXT,
    message TEXT,
    target TEXT NOT NULL,
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE SET NULL,
    params TEXT NOT NULL,
    result TEXT,
    delivery_id TEXT,
    identity TEXT,
    run_after INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires INTEGER,
    updated TEXT NOT NULL
  );
  CREATE UNIQUE INDEX jobs_delivery ON jobs (delivery_id);
  -- Newest-first listings: all jobs, by workspace, by target (and status), by status. The last
  -- also serves claimJob (QUEUED in created, rowid order) and the expired-lease sweep (RUNNING);
  -- jobs_target serves claimJob's "target has a RUNNING job" check.
  CREATE INDEX jobs_created ON jobs (created);
  CREATE INDEX jobs_workspace ON jobs (workspace_id, created);
  CREATE INDEX jobs_target ON jobs (target, status, created);
  CREATE INDEX jobs_status ON jobs (status, created);
  CREATE TABLE job_logs (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    sequence INTEGER NOT NULL,
    time TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (job_id, sequence)
  ) WITHOUT ROWID;
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT
  );
  `,
  `
  CREATE TABLE records (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    namespace TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (collection, key)
  ) WITHOUT ROWID;
  CREATE INDEX records_by_namespace ON records (collection, namespace, key);
  CREATE TABLE stable_ids (
    sequence TEXT NOT NULL,
    name TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (sequence, name),
    UNIQUE (sequence, id)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error TEXT,
    done TEXT
  );
  CREATE INDEX outbox_due ON outbox (state, next_attempt, id);
  CREATE INDEX outbox_by_key ON outbox (topic, key, id);
  `,
  // Jobs by type and status, kept by triggers in the transaction of each write: counting them
  // from the jobs table took 0.3 s at 100,000 jobs, on every /metrics scrape.
  `
  CREATE TABLE job_counts (
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (type, status)
  ) WITHOUT ROWID;
  INSERT INTO job_counts (type, status, n) SELECT type, status, count(*) FROM jobs GROUP BY 1, 2;
  CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (type, status, n) VALUES (NEW.type, NEW.status, 1)
      ON CONFLICT (type, status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;
  END;
  CREATE TRIGGER job_counts_update AFTER UPDATE OF type, status ON jobs
  WHEN OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status BEGIN
    UPDATE job_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;
    INSERT INTO job_counts (type, status, n) VALUES (NEW.type, NEW.status, 1)
      ON CONFLICT (type, status) DO UPDATE SET n = n + 1;
  END;
  `,
  // What a running job's handler keeps for its next attempt (JobContext.keepProgress).
  `
  ALTER TABLE jobs ADD COLUMN progress TEXT;
  `,
];

/** The schema version this code writes; a database with a higher one is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export const WORKSPACE_COLUMNS: Record<keyof Workspace, string> = {
  id: 'id',
  name: 'name',
  alias: 'alias',
  repositoryUrl: 'repository_url',
  branch: 'branch',
  namespace: 'namespace',
  status: 'status',
  deploymentSecret: 'deployment_secret',
  owner: 'owner',
  timeoutSeconds: 'timeout_seconds',
  created: 'created',
  lastModified: 'last_modified',
  lastJobId: 'last_job_id',
  lastCommitId: 'last_commit_id',
  lastDeployed: 'last_deployed',
};

export const JOB_COLUMNS: Record<keyof Job, string> = {
  id: 'id',
  created: 'created',
  type: 'type',
  status: 'status',
  attempt: 'attempt',
  maxAttempts: 'max_attempts',
  startTime: 'start_time',
  endTime: 'end_time',
  exitCode: 'exit_code',
  commitId: 'commit_id',
  message: 'message',
  target: 'target',
  workspaceId: 'workspace_id',
  params: 'params',
  result: 'result',
  progress: 'progress',
  deliveryId: 'delivery_id',
  identity: 'identity',
  runAfter: 'run_after',
  leaseOwner: 'lease_owner',
  leaseExpires: 'lease_expires',
  updated: 'updated',
};

export const TOKEN_COLUMNS: Record<keyof ApiToken, string> = {
  id: 'id',
  name: 'name',
  hash: 'hash',
  created: 'created',
  lastUsed: 'last_used',
};

/** Fields `updateJob` may change, in a fixed order (the patch's own keys never reach the SQL). */
export const PATCHABLE_JOB_FIELDS = (Object.keys(JOB_COLUMNS) as (keyof Job)[]).filter(
  (key) => key !== 'id' && key !== 'created' && key !== 'type',
);

export type Row = Record<string, unknown>;

export function insertSql(table: string, columns: Record<string, string>): string {
  const keys = Object.keys(columns);
  return `INSERT INTO ${table} (${keys.map((key) => columns[key]).join(', ')})
    VALUES (${keys.map((key) => `@${key}`).join(', ')})`;
}

export function assignments<K extends string>(
  columns: Record<K, string>,
  keys: readonly K[],
): string {
  return keys.map((key) => `${columns[key]} = @${key}`).join(', ');
}

export function keysExcept<K extends string>(columns: Record<K, string>, omit: K): K[] {
  return (Object.keys(columns) as K[]).filter((key) => key !== omit);
}

/**
 * The ORDER BY column and direction a page asks for, undefined for the default order. The column
 * comes from the fixed map, never from the request.
 */
export function orderBy<K extends string>(
  page: PageRequest,
  collection: string,
  allowed: readonly K[],
  columns: Record<K, string>,
): { column: string; direction: 'ASC' | 'DESC' } | undefined {
  const sort = sortOf(page, collection, allowed);
  if (!sort) return undefined;
  return { column: columns[sort.field], direction: sort.direction === 'desc' ? 'DESC' : 'ASC' };
}

/**
 * LIMIT and OFFSET of a page, bound through CAST. SQLite prepares a statement again each time a
 * value its plan depended on is bound, and a bare bound LIMIT is one: a list of one row took
 * 27 µs instead of 8. Bind `limits(page)` to it.
 */
export const PAGE_LIMIT = 'LIMIT CAST(@limit AS INTEGER) OFFSET CAST(@offset AS INTEGER)';

/** LIMIT/OFFSET parameters; negative values mean "none" and "from the start". */
export function limits(page: PageRequest): { limit: number; offset: number } {
  return { limit: Math.max(0, page.limit), offset: Math.max(0, page.offset) };
}

/**
 * The statements of a job list: the count of every match, and, given that count, the page. A
 * deeper page is found in an index alone, then read, so it skips index entries rather than whole
 * rows; a page past the middle is found from the far end of the index, the order reversed:
 * skipping to page 4,000 of 5,000 steps over 20,000 entries instead of 80,000. A deep page of
 * the list of all jobs in the order they were created starts at an anchor (`seek`, see
 * page-anchors.ts) when one lies nearer, and skips at most about a thousand entries.
 */
export function jobListQuery(
  filter: JobFilter,
  page: PageRequest,
): {
  count: string;
  params: Row;
  page(
    total: number,
    seek?: (position: number) => Anchor | undefined,
  ): { sql: string; params: Row };
} {
  const { where, params } = jobWhere(filter);
  const order = orderBy(page, 'jobs', JOB_SORT_FIELDS, JOB_COLUMNS) ?? {
    column: 'created',
    direction: 'DESC',
  };
  const sortIn = (direction: string) => `ORDER BY ${order.column} ${direction}, rowid ${direction}`;
  const { limit, offset } = limits(page);
  // Filtered by status and type at most (or not at all), a list is counted from the counts the
  // triggers keep (job_counts has both columns), not over the index: 0.3 ms at 100,000 jobs.
  const kept =
    filter.workspaceId === undefined &&
    filter.target === undefined &&
    filter.leaseExpiredBefore === undefined;
  return {
    count: kept
      ? `SELECT COALESCE(SUM(n), 0) AS n FROM job_counts ${where}`
      : `SELECT COUNT(*) AS n FROM jobs ${where}`,
    params,
    page(total, seek) {
      const fromEnd = offset > total / 2 && offset < total;
      const inner = fromEnd
        ? {
            sort: sortIn(order.direction === 'DESC' ? 'ASC' : 'DESC'),
            limit: Math.min(limit, total - offset),
            offset: Math.max(0, total - offset - limit),
          }
        : { sort: sortIn(order.direction), limit, offset };
      const anchored =
        seek && where === '' && order.column === 'created' && offset < total
          ? anchoredPage(total, seek, inner.offset)
          : undefined;
      if (anchored) return anchored;
      // A first page skips nothing: it is read directly, without the detour through the index.
      const sql =
        !fromEnd && offset === 0
          ? `SELECT ${JOB_SELECT} FROM jobs ${where} ${inner.sort} ${PAGE_LIMIT}`
          : `SELECT ${JOB_SELECT} FROM jobs WHERE rowid IN (
               SELECT rowid FROM jobs ${where} ${inner.sort} ${PAGE_LIMIT})
             ${sortIn(order.direction)}`;
      return { sql, params: { ...params, limit: inner.limit, offset: inner.offset } };
    },
  };

  /** The page from the anchor below it, when that skips fewer entries than `skip`. */
  function anchoredPage(
    total: number,
    seek: (position: number) => Anchor | undefined,
    skip: number,
  ): { sql: string; params: Row } | undefined {
    if (skip < ANCHORED_SKIP) return undefined;
    // Where the page starts among all jobs, oldest first.
    const position = order.direction === 'ASC' ? offset : Math.max(0, total - offset - limit);
    const anchor = seek(position);
    if (!anchor || position - anchor.start >= skip) return undefined;
    return {
      sql: `SELECT ${JOB_SELECT} FROM jobs WHERE rowid IN (
              SELECT rowid FROM jobs WHERE created >= @anchor ORDER BY created, rowid ${PAGE_LIMIT})
            ${sortIn(order.direction)}`,
      params: {
        anchor: anchor.created,
        limit: Math.min(limit, total - offset),
        offset: position - anchor.start,
      },
    };
  }
}

/** Skips shorter than this are cheaper than finding an anchor (a few µs). */
const ANCHORED_SKIP = 2000;

/**
 * `status IN (@<prefix>0, ...)`, its values added to `params`. One parameter per status: the
 * planner uses the status indexes for a plain list, not for a json_each() subquery (which scans
 * every job).
 */
export function statusIn(statuses: readonly string[], prefix: string, params: Row): string {
  statuses.forEach((status, i) => {
    params[`${prefix}${i}`] = status;
  });
  return `status IN (${statuses.map((_, i) => `@${prefix}${i}`).join(', ')})`;
}

export function jobWhere(filter: JobFilter): { where: string; params: Row } {
  const conditions: string[] = [];
  const params: Row = {};
  if (filter.workspaceId !== undefined) {
    conditions.push('workspace_id = @workspaceId');
    params.workspaceId = filter.workspaceId;
  }
  if (filter.status !== undefined) {
    conditions.push(statusIn(filter.status, 'status', params));
  }
  if (filter.type !== undefined) {
    conditions.push('type = @type');
    params.type = filter.type;
  }
  if (filter.target !== undefined) {
    conditions.push('target = @target');
    params.target = filter.target;
  }
  if (filter.leaseExpiredBefore !== undefined) {
    conditions.push("status = 'RUNNING' AND lease_expires < @leaseExpiredBefore");
    params.leaseExpiredBefore = filter.leaseExpiredBefore;
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** A job (or patch) as named parameters: the JSON columns as text. */
export function jobParams(job: Partial<Job>): Row {
  const params: Row = { ...job };
  if (job.params !== undefined) params.params = JSON.stringify(job.params);
  if (job.result !== undefined)
    params.result = job.result === null ? null : JSON.stringify(job.result);
  if (job.progress !== undefined)
    params.progress = job.progress === null ? null : JSON.stringify(job.progress);
  return params;
}

export function fromRow<T>(row: unknown, columns: Record<keyof T, string>): T | undefined {
  if (!row) return undefined;
  const record: Row = {};
  for (const [key, column] of Object.entries<string>(columns)) record[key] = (row as Row)[column];
  return record as T;
}

export function toWorkspace(row: unknown): Workspace | undefined {
  return fromRow<Workspace>(row, WORKSPACE_COLUMNS);
}

export function toToken(row: unknown): ApiToken | undefined {
  return fromRow<ApiToken>(row, TOKEN_COLUMNS);
}

/** A job's columns under its field names: rows read with it are jobs but for the JSON columns. */
export const JOB_SELECT = Object.entries(JOB_COLUMNS)
  .map(([field, column]) => (field === column ? column : `${column} AS ${field}`))
  .join(', ');

/** A row read with JOB_SELECT as a job. */
export function toJob(row: unknown): Job | undefined {
  if (!row) return undefined;
  const job = row as Job;
  job.params = JSON.parse(job.params as unknown as string);
  if (job.result !== null) job.result = JSON.parse(job.result as unknown as string);
  if (job.progress !== null) job.progress = JSON.parse(job.progress as unknown as string);
  return job;
}

export function toOutboxEntry(row: unknown): OutboxEntry {
  const r = row as Row;
  return {
    id: r.id as number,
    topic: r.topic as string,
    key: r.key as string,
    payload: JSON.parse(r.payload as string),
    created: r.created as string,
    state: r.state as OutboxEntry['state'],
    attempts: r.attempts as number,
    nextAttempt: r.next_attempt as number,
    lastError: (r.last_error as string | null) ?? null,
    done: (r.done as string | null) ?? null,
  };
}
