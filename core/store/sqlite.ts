import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, SlipwayError } from '../errors.js';
import type { ApiToken, Job, JobLogLine, Workspace } from '../types.js';
import { PageAnchors } from './page-anchors.js';
import {
  assignments,
  insertSql,
  JOB_COLUMNS,
  JOB_SELECT,
  jobListQuery,
  jobParams,
  keysExcept,
  limits,
  MIGRATIONS,
  orderBy,
  PAGE_LIMIT,
  PATCHABLE_JOB_FIELDS,
  type Row,
  SCHEMA_VERSION,
  statusIn,
  TOKEN_COLUMNS,
  toJob,
  toOutboxEntry,
  toToken,
  toWorkspace,
  WORKSPACE_COLUMNS,
} from './sqlite-schema.js';
import {
  type JobCount,
  type JobExpectation,
  type JobFilter,
  type JobPatch,
  type NewLogLine,
  type Page,
  type PageRequest,
  type Store,
  WORKSPACE_SORT_FIELDS,
} from './types.js';

/** Job rows kept between reads while nothing changes (see `readJob`). */
const KEPT_JOB_ROWS = 1000;

/**
 * Opens the SQLite database at `file` (`':memory:'` works too), creating or migrating its schema:
 * WAL journal, `synchronous = NORMAL`, foreign keys on, a 5 s busy timeout, statements prepared
 * once. Throws a SlipwayError when the file was written by a newer Slipway.
 *
 * @example
 * const store = openSqliteStore(path.join(dataDir, 'slipway.db'));
 */
export function openSqliteStore(file: string): Store {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    refuseNewerSchema(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    dropValueSamples(db);
  } catch (error) {
    db?.close();
    if (error instanceof SlipwayError) throw error;
    throw new SlipwayError('INTERNAL', `cannot open ${file}: ${errorMessage(error)}`, {
      cause: error,
      details: { file },
    });
  }
  return sqliteStore(db);
}

function sqliteStore(db: Database.Database): Store {
  const statements = new Map<string, Database.Statement>();
  /** The statement for `sql`, prepared on first use; `sql` is built from fixed fragments only. */
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const anchors = new PageAnchors({
    firstCreated: () =>
      createdOf(prepared('SELECT created FROM jobs ORDER BY created, rowid LIMIT 1').get()),
    createdAt: (from, skip) =>
      createdOf(
        prepared(
          `SELECT created FROM jobs WHERE created >= @from ORDER BY created, rowid
           LIMIT 1 OFFSET CAST(@skip AS INTEGER)`,
        ).get({ from, skip }),
      ),
    createdAfter: (from) =>
      createdOf(
        prepared('SELECT created FROM jobs WHERE created > ? ORDER BY created LIMIT 1').get(from),
      ),
    countBetween: (from, to) =>
      (
        prepared('SELECT COUNT(*) AS n FROM jobs WHERE created >= @from AND created < @to').get({
          from,
          to,
        }) as { n: number }
      ).n,
    version: () => (prepared('PRAGMA data_version').get() as { data_version: number }).data_version,
  });
  // One transaction function for every call: better-sqlite3 builds four wrappers for each
  // db.transaction(), 6 µs that each top-level transaction would otherwise pay.
  const runAtomically = db.transaction((fn: () => unknown) => fn());
  const atomic = <T>(fn: () => T): T => {
    if (db.inTransaction) return fn();
    // IMMEDIATE takes the write lock up front, so a read-then-write cannot fail half-way with
    // SQLITE_BUSY when another connection wrote in between.
    let result: T;
    try {
      result = runAtomically.immediate(fn) as T;
    } catch (error) {
      anchors.settled(false);
      throw error;
    }
    anchors.settled(true);
    return result;
  };

  const insertWorkspace = prepared(insertSql('workspaces', WORKSPACE_COLUMNS));
  const replaceWorkspace = prepared(
    `UPDATE workspaces SET ${assignments(WORKSPACE_COLUMNS, keysExcept(WORKSPACE_COLUMNS, 'id'))}
     WHERE id = @id`,
  );
  const getWorkspace = prepared('SELECT * FROM workspaces WHERE id = ?');
  const findWorkspace = prepared('SELECT * FROM workspaces WHERE name = ?');
  const countWorkspaces = prepared('SELECT COUNT(*) AS n FROM workspaces');
  // lower() folds ASCII only, as the memory store's comparison does for the names GitHub allows.
  const findWorkspacesMentioning = prepared(
    'SELECT * FROM workspaces WHERE instr(lower(repository_url), lower(?)) > 0 ORDER BY name',
  );
  const deleteWorkspace = prepared('DELETE FROM workspaces WHERE id = ?');
  const insertJob = prepared(insertSql('jobs', JOB_COLUMNS));
  const getJob = prepared(`SELECT ${JOB_SELECT} FROM jobs WHERE id = ?`);
  // Clients poll a job by id while it runs (the Action, the CLI, dashboards): its row is read
  // again only when the database changed since. `total_changes()` counts every row this
  // connection wrote (in any table, rolled back or not), `data_version` every commit of another
  // connection; rows read inside a transaction, which may yet roll back, are never kept. A
  // kept row is copied before `toJob` parses it in place.
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const keptRows = new Map<string, Row>();
  let keptAt = '';
  const readJob = (id: string): Row | undefined => {
    if (db.inTransaction) return getJob.get(id) as Row | undefined;
    const now = `${totalChanges.get()}/${dataVersion.get()}`;
    if (now !== keptAt) {
      keptRows.clear();
      keptAt = now;
    }
    const kept = keptRows.get(id);
    if (kept) return { ...kept };
    const row = getJob.get(id) as Row | undefined;
    if (!row) return undefined;
    if (keptRows.size >= KEPT_JOB_ROWS) keptRows.clear();
    keptRows.set(id, { ...row });
    return row;
  };
  const findJobByDelivery = prepared(`SELECT ${JOB_SELECT} FROM jobs WHERE delivery_id = ?`);
  const deleteJob = prepared('DELETE FROM jobs WHERE id = ? RETURNING created');
  const countJobs = prepared(
    'SELECT type, status, n AS count FROM job_counts WHERE n > 0 ORDER BY type, status',
  );
  const claimJob = prepared(
    `UPDATE jobs SET status = 'RUNNING', lease_owner = @owner, lease_expires = @leaseExpires,
       start_time = COALESCE(start_time, @nowIso), updated = @nowIso
     WHERE id = (
       SELECT q.id FROM jobs q
       WHERE q.status = 'QUEUED' AND q.run_after <= @now
         AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'RUNNING' AND r.target = q.target)
       ORDER BY q.created, q.rowid
       LIMIT 1)
     RETURNING ${JOB_SELECT}`,
  );
  const logState = prepared(
    `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = @jobId) AS present,
       COALESCE((SELECT MAX(sequence) + 1 FROM job_logs WHERE job_id = @jobId), 0) AS next`,
  );
  const insertLog = prepared(
    'INSERT INTO job_logs (job_id, sequence, time, line) VALUES (?, ?, ?, ?)',
  );
  const readLogs = prepared(
    `SELECT sequence, time, line FROM job_logs WHERE job_id = ? AND sequence >= ?
     ORDER BY sequence LIMIT CAST(? AS INTEGER)`,
  );
  const readLogTail = prepared(
    `SELECT sequence, time, line FROM job_logs WHERE job_id = ?
     ORDER BY sequence DESC LIMIT CAST(? AS INTEGER)`,
  );
  const insertToken = prepared(insertSql('api_tokens', TOKEN_COLUMNS));
  const findToken = prepared('SELECT * FROM api_tokens WHERE hash = ?');
  const listTokens = prepared('SELECT * FROM api_tokens ORDER BY name');
  const touchToken = prepared('UPDATE api_tokens SET last_used = ? WHERE id = ?');
  const deleteToken = prepared('DELETE FROM api_tokens WHERE id = ?');
  const putRecord = prepared(
    `INSERT INTO records (collection, key, namespace, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (collection, key) DO UPDATE SET namespace = excluded.namespace, value = excluded.value`,
  );
  const getRecord = prepared('SELECT value FROM records WHERE collection = ? AND key = ?');
  const listAllRecords = prepared('SELECT value FROM records WHERE collection = ? ORDER BY key');
  const listNamespaceRecords = prepared(
    'SELECT value FROM records WHERE collection = ? AND namespace = ? ORDER BY key',
  );
  const deleteRecord = prepared('DELETE FROM records WHERE collection = ? AND key = ?');
  const findStableId = prepared('SELECT id FROM stable_ids WHERE sequence = ? AND name = ?');
  const nextStableId = prepared(
    'SELECT COALESCE(MAX(id), 0) + 1 AS id FROM stable_ids WHERE sequence = ?',
  );
  const insertStableId = prepared('INSERT INTO stable_ids (sequence, name, id) VALUES (?, ?, ?)');
  const insertOutbox = prepared(
    `INSERT INTO outbox (topic, key, payload, created, next_attempt)
     VALUES (@topic, @key, @payload, @created, @nextAttempt)`,
  );
  const dueOutbox = prepared(
    `SELECT * FROM outbox WHERE state = 'pending' AND next_attempt <= ? ORDER BY id LIMIT CAST(? AS INTEGER)`,
  );
  const dueOutboxOf = prepared(
    `SELECT * FROM outbox WHERE state = 'pending' AND next_attempt <= ?
       AND topic IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT CAST(? AS INTEGER)`,
  );
  const outboxOf = prepared('SELECT * FROM outbox WHERE topic = ? AND key = ? ORDER BY id');
  const finishOutbox = prepared(
    `UPDATE outbox SET state = @state, done = @done, last_error = COALESCE(@error, last_error)
     WHERE id = @id AND state = 'pending'`,
  );
  const deferOutbox = prepared(
    `UPDATE outbox SET attempts = attempts + 1, next_attempt = @nextAttempt, last_error = @error
     WHERE id = @id AND state = 'pending'`,
  );

  return {
    transaction: atomic,
    close() {
      if (!db.open) return;
      try {
        db.pragma('optimize');
        dropValueSamples(db);
      } finally {
        db.close();
      }
    },

    insertWorkspace(workspace) {
      try {
        insertWorkspace.run(workspace);
      } catch (error) {
        throw constraintError(error, {
          'workspaces.name': `workspace name '${workspace.name}' is already taken`,
          'workspaces.id': `workspace '${workspace.id}' already exists`,
        });
      }
    },
    getWorkspace: (id) => toWorkspace(getWorkspace.get(id)),
    findWorkspaceByName: (name) => toWorkspace(findWorkspace.get(name)),
    findWorkspacesMentioning: (text) =>
      (findWorkspacesMentioning.all(text) as Row[]).map((row) => toWorkspace(row) as Workspace),
    listWorkspaces(page) {
      const order = orderBy(page, 'workspaces', WORKSPACE_SORT_FIELDS, WORKSPACE_COLUMNS) ?? {
        column: 'name',
        direction: 'ASC',
      };
      const rows = prepared(
        `SELECT * FROM workspaces ORDER BY ${order.column} ${order.direction}, id ${order.direction}
         ${PAGE_LIMIT}`,
      ).all(limits(page)) as Row[];
      const { n } = countWorkspaces.get() as { n: number };
      return { items: rows.map((row) => toWorkspace(row) as Workspace), total: n };
    },
    updateWorkspace(workspace) {
      try {
        return replaceWorkspace.run(workspace).changes > 0;
      } catch (error) {
        throw constraintError(error, {
          'workspaces.name': `workspace name '${workspace.name}' is already taken`,
        });
      }
    },
    deleteWorkspace: (id) => deleteWorkspace.run(id).changes > 0,

    insertJob(job) {
      try {
        insertJob.run(jobParams(job));
        anchors.added(job.created, db.inTransaction);
      } catch (error) {
        throw constraintError(error, {
          'jobs.delivery_id': `delivery id '${job.deliveryId}' is already taken by another job`,
          'jobs.id': `job '${job.id}' already exists`,
          FOREIGN: `workspace '${job.workspaceId}' does not exist`,
        });
      }
    },
    getJob: (id) => toJob(readJob(id)),
    findJobByDelivery: (deliveryId) => toJob(findJobByDelivery.get(deliveryId)),
    listJobs(filter: JobFilter, page: PageRequest): Page<Job> {
      // Counted first: how deep the page lies decides which end of the index it is found from.
      // Nothing can write between the two statements (this process is the only writer, and
      // both run in one synchronous turn).
      const query = jobListQuery(filter, page);
      const { n } = prepared(query.count).get(query.params) as { n: number };
      // Anchors are built outside transactions only: one rolled back could take back a job
      // they counted.
      const { sql, params } = query.page(n, (position) =>
        anchors.seek(position, !db.inTransaction),
      );
      const rows = prepared(sql).all(params) as Row[];
      return { items: rows.map((row) => toJob(row) as Job), total: n };
    },
    countJobs: () => countJobs.all() as JobCount[],
    updateJob(id: string, patch: JobPatch, expect?: JobExpectation) {
      const fields = PATCHABLE_JOB_FIELDS.filter(
        (key) => patch[key as keyof JobPatch] !== undefined,
      );
      const conditions = ['id = @id'];
      const params: Row = { ...jobParams(patch), id };
      if (expect?.status) {
        conditions.push(statusIn(expect.status, 'expect', params));
      }
      if (expect?.leaseOwner !== undefined) {
        conditions.push('lease_owner = @expectLeaseOwner');
        params.expectLeaseOwner = expect.leaseOwner;
      }
      // A patch with nothing to change still answers whether the expectation holds.
      const sets = fields.length > 0 ? assignments(JOB_COLUMNS, fields) : 'id = id';
      const sql = `UPDATE jobs SET ${sets} WHERE ${conditions.join(' AND ')} RETURNING ${JOB_SELECT}`;
      try {
        return toJob(prepared(sql).get(params));
      } catch (error) {
        throw constraintError(error, {
          'jobs.delivery_id': `delivery id '${patch.deliveryId}' is already taken by another job`,
          FOREIGN: `workspace '${patch.workspaceId}' does not exist`,
        });
      }
    },
    claimJob(owner, now, leaseExpires) {
      const nowIso = new Date(now).toISOString();
      return toJob(claimJob.get({ owner, now, leaseExpires, nowIso }));
    },
    deleteJob(id) {
      const gone = createdOf(deleteJob.get(id));
      if (gone !== undefined) anchors.removed(gone, db.inTransaction);
      return gone !== undefined;
    },

    appendJobLogs(jobId: string, lines: NewLogLine[]): number {
      return atomic(() => {
        const state = logState.get({ jobId }) as { present: number; next: number };
        if (!state.present) throw new SlipwayError('NOT_FOUND', `job '${jobId}' does not exist`);
        let sequence = state.next;
        for (const line of lines) insertLog.run(jobId, sequence++, line.time, line.line);
        return sequence;
      });
    },
    readJobLogs(jobId, fromSequence, limit) {
      return readLogs.all(jobId, fromSequence, Math.max(0, limit)) as JobLogLine[];
    },
    readJobLogTail(jobId, limit) {
      return (readLogTail.all(jobId, Math.max(0, limit)) as JobLogLine[]).reverse();
    },

    insertApiToken(token) {
      try {
        insertToken.run(token);
      } catch (error) {
        throw constraintError(error, {
          'api_tokens.name': `API token name '${token.name}' is already taken`,
          'api_tokens.hash': 'an API token with the same hash already exists',
          'api_tokens.id': `API token '${token.id}' already exists`,
        });
      }
    },
    findApiTokenByHash: (hash) => toToken(findToken.get(hash)),
    listApiTokens: () => (listTokens.all() as Row[]).map((row) => toToken(row) as ApiToken),
    touchApiToken(id, lastUsed) {
      touchToken.run(lastUsed, id);
    },
    deleteApiToken: (id) => deleteToken.run(id).changes > 0,

    putRecord(collection, key, namespace, value) {
      putRecord.run(collection, key, namespace, JSON.stringify(value));
    },
    getRecord<T>(collection: string, key: string): T | undefined {
      const row = getRecord.get(collection, key) as { value: string } | undefined;
      return row ? (JSON.parse(row.value) as T) : undefined;
    },
    listRecords<T>(collection: string, namespace?: string): T[] {
      const rows = (
        namespace === undefined
          ? listAllRecords.all(collection)
          : listNamespaceRecords.all(collection, namespace)
      ) as { value: string }[];
      return rows.map((row) => JSON.parse(row.value) as T);
    },
    deleteRecord: (collection, key) => deleteRecord.run(collection, key).changes > 0,
    addOutbox(entry) {
      const info = insertOutbox.run({ ...entry, payload: JSON.stringify(entry.payload) });
      return Number(info.lastInsertRowid);
    },
    dueOutbox: (now, limit, topics) =>
      (topics === undefined
        ? (dueOutbox.all(now, limit) as Row[])
        : (dueOutboxOf.all(now, JSON.stringify(topics), limit) as Row[])
      ).map(toOutboxEntry),
    outboxOf: (topic, key) => (outboxOf.all(topic, key) as Row[]).map(toOutboxEntry),
    finishOutbox: (id, state, done, error) =>
      finishOutbox.run({ id, state, done, error: error ?? null }).changes > 0,
    deferOutbox: (id, nextAttempt, error) =>
      deferOutbox.run({ id, nextAttempt, error }).changes > 0,
    stableId(sequence, name) {
      return atomic(() => {
        const found = findStableId.get(sequence, name) as { id: number } | undefined;
        if (found) return found.id;
        const { id } = nextStableId.get(sequence) as { id: number };
        insertStableId.run(sequence, name, id);
        return id;
      });
    },
  };
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseNewerSchema(db: Database.Database, file: string): void {
  const version = userVersion(db);
  if (version <= SCHEMA_VERSION) return;
  throw new SlipwayError(
    'CONFLICT',
    `${file} has schema version ${version}; this Slipway knows versions up to ${SCHEMA_VERSION}`,
    {
      details: { file, version, supported: SCHEMA_VERSION },
      hint: 'it was written by a newer Slipway: run that version, or restore a backup',
    },
  );
}

/**
 * Keeps the planner's index averages (sqlite_stat1, which `PRAGMA optimize` gathers) and drops its
 * value samples (sqlite_stat4). With samples, SQLite plans a statement again each time a value
 * compared with an indexed column is bound: every filtered read of the store cost 3x as much.
 * The plans the store relies on are checked without samples (store-sqlite-lists-use-indexes).
 */
function dropValueSamples(db: Database.Database): void {
  const samples = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'").get();
  if (samples === undefined) return;
  // ANALYZE of the schema table makes the planner read the statistics again.
  db.exec('DELETE FROM sqlite_stat4; ANALYZE sqlite_schema');
}

/** Brings the schema to SCHEMA_VERSION: every pending step, or none of them. */
function migrate(db: Database.Database, file: string): void {
  if (userVersion(db) === SCHEMA_VERSION) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const version = userVersion(db);
    refuseNewerSchema(db, file);
    for (const step of MIGRATIONS.slice(version)) db.exec(step);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * A constraint failure as a SlipwayError: CONFLICT with the message for the unique column that
 * failed (`table.column` keys), NOT_FOUND with the `FOREIGN` message for a missing reference.
 * Anything else is returned unchanged.
 */
function constraintError(error: unknown, messages: Record<string, string>): unknown {
  const code = (error as { code?: unknown }).code;
  const text = error instanceof Error ? error.message : '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const column = /constraint failed: (\S+)/.exec(text)?.[1] ?? '';
    return new SlipwayError('CONFLICT', messages[column] ?? text, { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && messages.FOREIGN) {
    return new SlipwayError('NOT_FOUND', messages.FOREIGN, { cause: error });
  }
  return error;
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

export { SCHEMA_VERSION } from './sqlite-schema.js';

function createdOf(row: unknown): string | undefined {
  return (row as { created?: string } | undefined)?.created;
}
