import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../core/errors.js';
import { acquireDataDirLock, openSqliteStore, SCHEMA_VERSION } from '../core/store/sqlite.js';
import type { Job } from '../core/types.js';
import { testJob } from './helpers/jobs.js';

// What only the SQLite store has: a file that outlives the process, pragmas, schema versions.

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
  dirs.push(dir);
  return path.join(dir, 'slipway.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` on a second, raw connection to `file`. */
function raw<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function job(id: string, overrides: Partial<Job> = {}): Job {
  return testJob({ id, params: { units: ['web'] }, ...overrides });
}

describe('the SQLite store on disk', () => {
  it('keeps everything written across close and reopen, log sequences included', () => {
    const file = tempFile();
    const first = openSqliteStore(file);
    const written = job('j1', { deliveryId: 'd1', result: { created: ['web'] } });
    first.insertJob(written);
    first.appendJobLogs('j1', [
      { time: 't0', line: 'zero' },
      { time: 't1', line: 'one' },
    ]);
    first.insertApiToken({ id: 't', name: 'ci', hash: 'h', created: 'c', lastUsed: null });
    first.putRecord('tasks', 'ns/web', 'ns', { name: 'web' });
    expect(first.stableId('patterns', 'A')).toBe(1);
    expect(first.stableId('patterns', 'B')).toBe(2);
    first.close();

    const second = openSqliteStore(file);
    expect(second.getJob('j1')).toEqual(written);
    expect(second.findJobByDelivery('d1')?.id).toBe('j1');
    expect(second.findApiTokenByHash('h')?.name).toBe('ci');
    expect(second.appendJobLogs('j1', [{ time: 't2', line: 'two' }])).toBe(3);
    expect(second.readJobLogs('j1', 0, 10).map((l) => l.line)).toEqual(['zero', 'one', 'two']);
    expect(second.getRecord('tasks', 'ns/web')).toEqual({ name: 'web' });
    expect(second.stableId('patterns', 'B')).toBe(2);
    expect(second.stableId('patterns', 'C')).toBe(3);
    second.close();
  });

  it('answers a job read again as the database holds it: after writes, rollbacks and other connections', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    store.insertJob(job('j1'));
    const first = store.getJob('j1');
    expect(first?.status).toBe('QUEUED');
    // What a caller does to the job it got is its own.
    if (first) first.params.units = ['changed by a caller'];
    expect(store.getJob('j1')?.params).toEqual({ units: ['web'] });
    // A write of this connection, in any table, is seen at the next read.
    store.updateJob('j1', { status: 'RUNNING' });
    expect(store.getJob('j1')?.status).toBe('RUNNING');
    // What was read inside a transaction that rolled back is not what is read after it.
    expect(() =>
      store.transaction(() => {
        store.updateJob('j1', { status: 'ERROR', message: 'rolled back' });
        expect(store.getJob('j1')?.status).toBe('ERROR');
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(store.getJob('j1')).toMatchObject({ status: 'RUNNING', message: null });
    // A commit of another connection is seen too.
    raw(file, (db) =>
      db.prepare("UPDATE jobs SET message = 'from elsewhere' WHERE id = 'j1'").run(),
    );
    expect(store.getJob('j1')?.message).toBe('from elsewhere');
    raw(file, (db) => db.prepare("DELETE FROM jobs WHERE id = 'j1'").run());
    expect(store.getJob('j1')).toBeUndefined();
    store.close();
  });

  it('runs in WAL mode, and its connection enforces foreign keys', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    expect(raw(file, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    // foreign_keys is per connection, so prove ours by its effect: an unknown workspace is refused.
    expect(() => store.insertJob(job('j', { workspaceId: 'no-such-workspace' }))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(store.getJob('j')).toBeUndefined();
    store.close();
    const keys = raw(file, (db) =>
      [
        ...(db.pragma('foreign_key_list(jobs)') as Array<Record<string, string>>),
        ...(db.pragma('foreign_key_list(job_logs)') as Array<Record<string, string>>),
      ].map((k) => `${k.from} -> ${k.table}(${k.to}) ON DELETE ${k.on_delete}`),
    );
    expect(keys).toEqual([
      'workspace_id -> workspaces(id) ON DELETE SET NULL',
      'job_id -> jobs(id) ON DELETE CASCADE',
    ]);
  });

  it('migrates once: reopening changes neither the version nor the schema', () => {
    const file = tempFile();
    const schema = () =>
      raw(file, (db) => ({
        version: db.pragma('user_version', { simple: true }),
        objects: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(),
      }));
    openSqliteStore(file).close();
    const first = schema();
    expect(first.version).toBe(SCHEMA_VERSION);
    expect(first.objects.map((o) => (o as { name: string }).name)).toEqual(
      expect.arrayContaining(['workspaces', 'jobs', 'job_logs', 'api_tokens']),
    );
    openSqliteStore(file).close();
    expect(schema()).toEqual(first);
  });

  it('counts the jobs a database already holds when it upgrades to job counts', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    store.insertJob(job('a'));
    store.insertJob(job('b', { status: 'COMPLETE' }));
    store.insertJob(job('c', { status: 'COMPLETE', type: 'TASK_DEPLOY', target: 'task:x' }));
    store.close();
    // The database as the version before job counts (its three steps) left it: same jobs, no
    // counts table, and none of the later steps.
    raw(file, (db) =>
      db.exec(`
        DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_delete;
        DROP TRIGGER job_counts_update; DROP TABLE job_counts;
        ALTER TABLE jobs DROP COLUMN progress;
        PRAGMA user_version = 3;
      `),
    );
    const upgraded = openSqliteStore(file);
    try {
      expect(upgraded.countJobs()).toEqual([
        { type: 'TASK_DEPLOY', status: 'COMPLETE', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'COMPLETE', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'QUEUED', count: 1 },
      ]);
      // And keeps counting from there.
      upgraded.updateJob('a', { status: 'COMPLETE' });
      expect(upgraded.countJobs()).toContainEqual({
        type: 'WORKSPACE_DEPLOY',
        status: 'COMPLETE',
        count: 2,
      });
    } finally {
      upgraded.close();
    }
  });

  it('keeps the jobs a database already holds when it upgrades to job progress', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    store.insertJob(job('a', { status: 'RUNNING', result: { created: 1 } }));
    store.close();
    raw(file, (db) =>
      db.exec(
        `ALTER TABLE jobs DROP COLUMN progress; PRAGMA user_version = ${SCHEMA_VERSION - 1};`,
      ),
    );
    const upgraded = openSqliteStore(file);
    try {
      expect(upgraded.getJob('a')).toMatchObject({ status: 'RUNNING', result: { created: 1 } });
      expect(upgraded.getJob('a')?.progress).toBeNull();
      upgraded.updateJob('a', { progress: { before: {} } });
      expect(upgraded.getJob('a')?.progress).toEqual({ before: {} });
    } finally {
      upgraded.close();
    }
  });

  it('refuses a database written by a newer Slipway, and leaves it untouched', () => {
    const file = tempFile();
    raw(file, (db) => db.pragma(`user_version = ${SCHEMA_VERSION + 1}`));
    let error: unknown;
    try {
      openSqliteStore(file);
    } catch (caught) {
      error = caught;
    }
    expect(isSlipwayError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `${file} has schema version ${SCHEMA_VERSION + 1}; this Slipway knows versions up to ${SCHEMA_VERSION}`,
    );
    expect((error as { hint?: string }).hint).toMatch(/newer Slipway/);
    raw(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect(db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get()).toEqual({ n: 0 });
    });
  });

  it('refuses a file that is not a database with an error naming it', () => {
    const file = tempFile();
    fs.writeFileSync(
      file,
      'this is not a database, it is a text file long enough to have a header',
    );
    expect(() => openSqliteStore(file)).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining(file) }),
    );
  });

  it('shares the queue between two connections: a job is claimed once', () => {
    const file = tempFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    a.insertJob(job('only'));
    expect(b.getJob('only')?.status).toBe('QUEUED');
    expect(b.claimJob('worker-b', 10, 100)?.id).toBe('only');
    expect(a.claimJob('worker-a', 10, 100)).toBeUndefined();
    expect(a.getJob('only')?.leaseOwner).toBe('worker-b');
    a.close();
    b.close();
  });

  it('waits for another process holding the write lock instead of failing at once', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.exec('BEGIN IMMEDIATE');
         process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);`,
        file,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = Date.now();
    store.insertJob(job('waited'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(await exited).toBe(0);
    expect(store.getJob('waited')?.id).toBe('waited');
    store.close();
  });

  it('has indexes for the claim, the job listings and the log reads (no full scans)', () => {
    const file = tempFile();
    openSqliteStore(file).close();
    const plan = (sql: string) =>
      raw(file, (db) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
          .map((row) => row.detail)
          .join('\n'),
      );
    const queries = [
      `SELECT q.id FROM jobs q WHERE q.status = 'QUEUED' AND q.run_after <= 1
         AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = 'RUNNING' AND r.target = q.target)
       ORDER BY q.created, q.rowid LIMIT 1`,
      'SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT 10',
      `SELECT * FROM jobs WHERE workspace_id = 'w' ORDER BY created DESC, rowid DESC LIMIT 10`,
      `SELECT * FROM jobs WHERE target = 't' ORDER BY created DESC, rowid DESC LIMIT 10`,
      `SELECT * FROM jobs WHERE target = 't' AND status IN (SELECT value FROM json_each('["QUEUED"]'))
       ORDER BY created DESC, rowid DESC LIMIT 10`,
      `SELECT * FROM jobs WHERE status IN (SELECT value FROM json_each('["RUNNING"]'))
       ORDER BY created DESC, rowid DESC LIMIT 10`,
      `SELECT * FROM jobs WHERE delivery_id = 'd'`,
      `SELECT sequence, time, line FROM job_logs WHERE job_id = 'j' AND sequence >= 0
       ORDER BY sequence LIMIT 10`,
    ];
    for (const sql of queries) {
      expect(plan(sql), sql).not.toMatch(/SCAN (jobs|q|r|job_logs)\b(?! USING)/);
    }
    // The claim and the listings of all jobs and of a workspace's jobs read in index order: no
    // sort of every matching row before LIMIT.
    for (const sql of queries.slice(0, 3)) expect(plan(sql), sql).not.toMatch(/TEMP B-TREE/);
  });

  it('keeps index averages but no value samples, which would re-plan every bound read', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    for (let i = 0; i < 300; i++) {
      store.insertJob(
        job(`j${i}`, { status: i % 3 === 0 ? 'COMPLETE' : 'QUEUED', target: `t${i % 7}` }),
      );
    }
    store.close();
    // What an earlier Slipway's close, or someone's ANALYZE, leaves behind.
    raw(file, (db) => db.exec('ANALYZE'));
    const samples = (db: Database.Database) =>
      (db.prepare('SELECT COUNT(*) AS n FROM sqlite_stat4').get() as { n: number }).n;
    const averages = (db: Database.Database) =>
      (db.prepare('SELECT COUNT(*) AS n FROM sqlite_stat1').get() as { n: number }).n;
    expect(raw(file, samples)).toBeGreaterThan(0);

    const reopened = openSqliteStore(file);
    expect(raw(file, samples)).toBe(0);
    expect(raw(file, averages)).toBeGreaterThan(0);
    expect(
      reopened.listJobs({ target: 't1', status: ['QUEUED'] }, { offset: 0, limit: 5 }).total,
    ).toBe(29);
    reopened.close();
    expect(raw(file, samples)).toBe(0);
  });

  it('lets one holder at a time take the data directory lock', () => {
    const file = tempFile();
    const lock = acquireDataDirLock(file);
    expect(() => acquireDataDirLock(file)).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringMatching(/in use by another Slipway/),
      }),
    );
    lock.release();
    acquireDataDirLock(file).release();
  });
});
