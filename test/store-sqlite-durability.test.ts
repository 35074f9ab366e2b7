import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, openSqliteStore, SCHEMA_VERSION } from '../core/store/sqlite.js';

function tempFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-durable-')), 'slipway.db');
}

describe('the SQLite store on disk', () => {
  it('keeps what was written across close and reopen, and migrates only once', () => {
    const file = tempFile();
    const first = openSqliteStore(file);
    first.insertApiToken({ id: 't', name: 'ci', hash: 'h', created: 'c', lastUsed: null });
    first.close();
    const second = openSqliteStore(file);
    expect(second.findApiTokenByHash('h')?.name).toBe('ci');
    second.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('runs in WAL mode with foreign keys on', () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    // Foreign keys are per connection: prove ours enforces them.
    expect(() =>
      store.insertJob({
        id: 'j',
        created: 'c',
        type: 'WORKSPACE_DEPLOY',
        status: 'QUEUED',
        attempt: 0,
        maxAttempts: 1,
        startTime: null,
        endTime: null,
        exitCode: null,
        commitId: null,
        message: null,
        target: 't',
        workspaceId: 'no-such-workspace',
        params: {},
        result: null,
        deliveryId: null,
        identity: null,
        runAfter: 0,
        leaseOwner: null,
        leaseExpires: null,
        updated: 'u',
      }),
    ).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    store.close();
  });

  it('refuses a database written by a newer Slipway', () => {
    const file = tempFile();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openSqliteStore(file)).toThrow(/newer than this Slipway knows/);
  });

  it('lets one holder at a time take the data directory lock', () => {
    const file = tempFile();
    const lock = acquireDataDirLock(file);
    expect(() => acquireDataDirLock(file)).toThrow(/is in use by another Slipway/);
    lock.release();
    acquireDataDirLock(file).release();
  });
});
