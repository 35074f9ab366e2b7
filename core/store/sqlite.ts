import path from 'node:path';
import Database from 'better-sqlite3';
import { SlipwayError } from '../errors.js';
import type { ApiToken, Job, JobLogLine, JobStatus, Workspace } from '../types.js';
import { sortFieldOf } from './shared.js';
import {
  JOB_SORT_FIELDS,
  type JobExpectation,
  type JobFilter,
  type JobPatch,
  type NewLogLine,
  type Page,
  type PageRequest,
  type Store,
  WORKSPACE_SORT_FIELDS,
} from './types.js';

/**
 * Schema steps, applied in order and counted in `PRAGMA user_version`. Append a step to change
 * the schema; never edit one that has shipped.
 */
const MIGRATIONS: string[] = [
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
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
    params TEXT NOT NULL,
    result TEXT,
    delivery_id TEXT UNIQUE,
    identity TEXT,
    run_after INTEGER NOT NULL,
    lease_owner TEXT,
    lease_expires INTEGER,
    updated TEXT NOT NULL
  );
  CREATE INDEX jobs_queued ON jobs (created) WHERE status = 'QUEUED';
  CREATE INDEX jobs_running ON jobs (target, lease_expires) WHERE status = 'RUNNING';
  CREATE INDEX jobs_by_target ON jobs (target, status);
  CREATE INDEX jobs_by_workspace ON jobs (workspace_id, created);
  CREATE INDEX jobs_by_created ON jobs (created);
  CREATE TABLE job_logs (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
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
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const JOB_COLUMNS: Record<keyof Job, string> = {
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
  deliveryId: 'delivery_id',
  identity: 'identity',
  runAfter: 'run_after',
  leaseOwner: 'lease_owner',
  leaseExpires: 'lease_expires',
  updated: 'updated',
};

const WORKSPACE_COLUMNS: Record<keyof Workspace, string> = {
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

type Row = Record<string, unknown>;

/**
 * Opens (creating and migrating) the SQLite database at `file` (`:memory:` works too): WAL,
 * foreign keys, a 5 s busy timeout, prepared statements reused. The only module that imports
 * better-sqlite3.
 */
export function openSqliteStore(file: string): Store {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, file);

  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  const run = <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn)());

  const insertWorkspace = db.prepare(
    `INSERT INTO workspaces (${Object.values(WORKSPACE_COLUMNS).join(', ')})
     VALUES (${Object.keys(WORKSPACE_COLUMNS)
       .map((k) => `@${k}`)
       .join(', ')})`,
  );
  const updateWorkspace = db.prepare(
    `UPDATE workspaces SET ${Object.entries(WORKSPACE_COLUMNS)
      .filter(([key]) => key !== 'id')
      .map(([key, column]) => `${column} = @${key}`)
      .join(', ')} WHERE id = @id`,
  );
  const insertJob = db.prepare(
    `INSERT INTO jobs (${Object.values(JOB_COLUMNS).join(', ')})
     VALUES (${Object.keys(JOB_COLUMNS)
       .map((k) => `@${k}`)
       .join(', ')})`,
  );
  const claim = db.prepare(
    `UPDATE jobs SET status = 'RUNNING', lease_owner = @owner, lease_expires = @leaseExpires,
       start_time = COALESCE(start_time, @nowIso), updated = @nowIso
     WHERE id = (
       SELECT j.id FROM jobs j
       WHERE j.status = 'QUEUED' AND j.run_after <= @now
         AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'RUNNING' AND r.target = j.target)
       ORDER BY j.created, j.rowid LIMIT 1)
     RETURNING *`,
  );
  const nextSequence = db.prepare(
    'SELECT COALESCE(MAX(sequence) + 1, 0) AS next FROM job_logs WHERE job_id = ?',
  );
  const insertLog = db.prepare(
    'INSERT INTO job_logs (job_id, sequence, time, line) VALUES (?, ?, ?, ?)',
  );

  return {
    transaction: run,
    close() {
      if (!db.open) return;
      db.pragma('optimize');
      db.close();
    },

    insertWorkspace(workspace) {
      try {
        insertWorkspace.run(workspace);
      } catch (error) {
        throw conflict(error, `workspace name '${workspace.name}' is already taken`);
      }
    },
    getWorkspace: (id) => toWorkspace(prepare('SELECT * FROM workspaces WHERE id = ?').get(id)),
    findWorkspaceByName: (name) =>
      toWorkspace(prepare('SELECT * FROM workspaces WHERE name = ?').get(name)),
    listWorkspaces(page) {
      const field = sortFieldOf(page, WORKSPACE_SORT_FIELDS, 'name') as keyof Workspace;
      const direction = page.sort?.direction === 'desc' ? 'DESC' : 'ASC';
      const column = WORKSPACE_COLUMNS[field];
      const rows = prepare(
        `SELECT * FROM workspaces ORDER BY ${column} ${direction}, id ${direction} LIMIT ? OFFSET ?`,
      ).all(page.limit, page.offset) as Row[];
      const total = (prepare('SELECT COUNT(*) AS n FROM workspaces').get() as { n: number }).n;
      return { items: rows.map((row) => toWorkspace(row) as Workspace), total };
    },
    updateWorkspace(workspace) {
      try {
        return updateWorkspace.run(workspace).changes > 0;
      } catch (error) {
        throw conflict(error, `workspace name '${workspace.name}' is already taken`);
      }
    },
    deleteWorkspace: (id) => prepare('DELETE FROM workspaces WHERE id = ?').run(id).changes > 0,

    insertJob(job) {
      try {
        insertJob.run(jobParams(job));
      } catch (error) {
        throw conflict(error, `delivery '${job.deliveryId}' already has a job`);
      }
    },
    getJob: (id) => toJob(prepare('SELECT * FROM jobs WHERE id = ?').get(id)),
    findJobByDelivery: (deliveryId) =>
      toJob(prepare('SELECT * FROM jobs WHERE delivery_id = ?').get(deliveryId)),
    listJobs(filter: JobFilter, page: PageRequest): Page<Job> {
      const { where, params } = jobWhere(filter);
      const field = sortFieldOf(page, JOB_SORT_FIELDS, 'created') as keyof Job;
      const direction = (page.sort?.direction ?? 'desc') === 'desc' ? 'DESC' : 'ASC';
      const rows = prepare(
        `SELECT * FROM jobs ${where} ORDER BY ${JOB_COLUMNS[field]} ${direction}, rowid ${direction}
         LIMIT @limit OFFSET @offset`,
      ).all({ ...params, limit: page.limit, offset: page.offset }) as Row[];
      const total = (
        prepare(`SELECT COUNT(*) AS n FROM jobs ${where}`).get(params) as { n: number }
      ).n;
      return { items: rows.map((row) => toJob(row) as Job), total };
    },
    updateJob(id: string, patch: JobPatch, expect?: JobExpectation) {
      const keys = Object.keys(patch) as (keyof JobPatch)[];
      const params: Row = { ...jobParams(patch), id };
      const conditions = ['id = @id'];
      if (expect?.status) {
        expect.status.forEach((status, i) => {
          params[`expectStatus${i}`] = status;
        });
        conditions.push(
          `status IN (${expect.status.map((_, i) => `@expectStatus${i}`).join(', ')})`,
        );
      }
      if (expect?.leaseOwner !== undefined) {
        params.expectOwner = expect.leaseOwner;
        conditions.push('lease_owner = @expectOwner');
      }
      const sets =
        keys.length > 0 ? keys.map((key) => `${JOB_COLUMNS[key]} = @${key}`) : ['id = id'];
      const row = prepare(
        `UPDATE jobs SET ${sets.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING *`,
      ).get(params);
      return toJob(row);
    },
    claimJob(owner, now, leaseExpires) {
      const nowIso = new Date(now).toISOString();
      return toJob(claim.get({ owner, now, leaseExpires, nowIso }));
    },
    deleteJob: (id) => prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0,

    appendJobLogs(jobId: string, lines: NewLogLine[]): number {
      return run(() => {
        let sequence = (nextSequence.get(jobId) as { next: number }).next;
        try {
          for (const line of lines) insertLog.run(jobId, sequence++, line.time, line.line);
        } catch (error) {
          if (isForeignKeyError(error)) {
            throw new SlipwayError('NOT_FOUND', `job '${jobId}' does not exist`);
          }
          throw error;
        }
        return sequence;
      });
    },
    readJobLogs(jobId, fromSequence, limit) {
      return prepare(
        `SELECT sequence, time, line FROM job_logs WHERE job_id = ? AND sequence >= ?
         ORDER BY sequence LIMIT ?`,
      ).all(jobId, fromSequence, limit) as JobLogLine[];
    },

    insertApiToken(token) {
      try {
        prepare(
          'INSERT INTO api_tokens (id, name, hash, created, last_used) VALUES (@id, @name, @hash, @created, @lastUsed)',
        ).run(token);
      } catch (error) {
        throw conflict(error, `token name '${token.name}' is already taken`);
      }
    },
    findApiTokenByHash: (hash) =>
      toToken(prepare('SELECT * FROM api_tokens WHERE hash = ?').get(hash)),
    listApiTokens: () =>
      (prepare('SELECT * FROM api_tokens ORDER BY name').all() as Row[]).map(
        (row) => toToken(row) as ApiToken,
      ),
    touchApiToken(id, lastUsed) {
      prepare('UPDATE api_tokens SET last_used = ? WHERE id = ?').run(lastUsed, id);
    },
    deleteApiToken: (id) => prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0,
  };
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new SlipwayError(
      'CONFLICT',
      `${file} has schema version ${version}, newer than this Slipway knows (${SCHEMA_VERSION}); upgrade Slipway or restore a backup`,
    );
  }
  for (let next = version; next < SCHEMA_VERSION; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next] as string);
      db.pragma(`user_version = ${next + 1}`);
    })();
  }
}

/** Parameters of a job row: JSON columns as text. */
function jobParams(job: Partial<Job>): Row {
  const params: Row = { ...job };
  if ('params' in job) params.params = JSON.stringify(job.params ?? {});
  if ('result' in job) params.result = job.result === null ? null : JSON.stringify(job.result);
  return params;
}

function toJob(row: unknown): Job | undefined {
  if (!row) return undefined;
  const r = row as Row;
  return {
    id: r.id as string,
    created: r.created as string,
    type: r.type as Job['type'],
    status: r.status as JobStatus,
    attempt: r.attempt as number,
    maxAttempts: r.max_attempts as number,
    startTime: r.start_time as string | null,
    endTime: r.end_time as string | null,
    exitCode: r.exit_code as number | null,
    commitId: r.commit_id as string | null,
    message: r.message as string | null,
    target: r.target as string,
    workspaceId: r.workspace_id as string | null,
    params: JSON.parse(r.params as string),
    result: r.result === null ? null : JSON.parse(r.result as string),
    deliveryId: r.delivery_id as string | null,
    identity: r.identity as string | null,
    runAfter: r.run_after as number,
    leaseOwner: r.lease_owner as string | null,
    leaseExpires: r.lease_expires as number | null,
    updated: r.updated as string,
  };
}

function toWorkspace(row: unknown): Workspace | undefined {
  if (!row) return undefined;
  const r = row as Row;
  const workspace = {} as Record<string, unknown>;
  for (const [key, column] of Object.entries(WORKSPACE_COLUMNS)) workspace[key] = r[column];
  return workspace as unknown as Workspace;
}

function toToken(row: unknown): ApiToken | undefined {
  if (!row) return undefined;
  const r = row as Row;
  return {
    id: r.id as string,
    name: r.name as string,
    hash: r.hash as string,
    created: r.created as string,
    lastUsed: r.last_used as string | null,
  };
}

function jobWhere(filter: JobFilter): { where: string; params: Row } {
  const conditions: string[] = [];
  const params: Row = {};
  if (filter.workspaceId !== undefined) {
    conditions.push('workspace_id = @workspaceId');
    params.workspaceId = filter.workspaceId;
  }
  if (filter.status) {
    filter.status.forEach((status, i) => {
      params[`status${i}`] = status;
    });
    conditions.push(
      `status IN (${filter.status.map((_, i) => `@status${i}`).join(', ') || 'NULL'})`,
    );
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

function conflict(error: unknown, message: string): unknown {
  if (error instanceof Error && 'code' in error) {
    const code = String((error as { code: unknown }).code);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return new SlipwayError('CONFLICT', message, { cause: error });
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
      return new SlipwayError('NOT_FOUND', 'a record this one refers to does not exist', {
        cause: error,
      });
    }
  }
  return error;
}

function isForeignKeyError(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  );
}

/** Held for the life of the process; the OS drops it when the process dies, however it dies. */
export interface DataDirLock {
  release(): void;
}

/**
 * Takes an exclusive SQLite lock on `file` (a small lock database) so that two Slipway servers
 * never share a data directory. The operating system releases it when the process dies, even by
 * SIGKILL, so the next start knows that every RUNNING job it finds is an orphan.
 */
export function acquireDataDirLock(file: string): DataDirLock {
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new SlipwayError(
        'CONFLICT',
        `data directory ${path.dirname(file)} is in use by another Slipway; stop it or set SLIPWAY_DATA_DIR to another directory`,
      );
    }
    throw error;
  }
  return {
    release() {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
