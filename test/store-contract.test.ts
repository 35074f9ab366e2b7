import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../core/store/memory.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import type { ApiToken, Job, Workspace } from '../core/types.js';

const factories: Array<[string, () => { store: Store; cleanup: () => void }]> = [
  ['memory', () => ({ store: createMemoryStore(), cleanup: () => {} })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
      const store = openSqliteStore(path.join(dir, 'slipway.db'));
      return {
        store,
        cleanup: () => {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

let counter = 0;
function workspace(overrides: Partial<Workspace> = {}): Workspace {
  counter += 1;
  return {
    id: `ws-${counter}`,
    name: `workspace-${counter}`,
    alias: `workspace-${counter}`,
    repositoryUrl: 'demo',
    branch: 'main',
    namespace: 'demo',
    status: 'READY',
    deploymentSecret: 'secret',
    owner: 'admin',
    timeoutSeconds: 600,
    created: `2026-01-01T00:00:${String(counter % 60).padStart(2, '0')}.000Z`,
    lastModified: '2026-01-01T00:00:00.000Z',
    lastJobId: null,
    lastCommitId: null,
    lastDeployed: null,
    ...overrides,
  };
}

function job(overrides: Partial<Job> = {}): Job {
  counter += 1;
  return {
    id: `job-${counter}`,
    created: `2026-01-01T00:00:00.${String(counter % 1000).padStart(3, '0')}Z`,
    type: 'WORKSPACE_DEPLOY',
    status: 'QUEUED',
    attempt: 0,
    maxAttempts: 3,
    startTime: null,
    endTime: null,
    exitCode: null,
    commitId: null,
    message: null,
    target: 't',
    workspaceId: null,
    params: { a: 1 },
    result: null,
    deliveryId: null,
    identity: null,
    runAfter: 0,
    leaseOwner: null,
    leaseExpires: null,
    updated: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const page = { offset: 0, limit: 100 };

describe.each(factories)('the %s store', (_name, factory) => {
  let store: Store;
  let cleanup: () => void;
  beforeEach(() => {
    ({ store, cleanup } = factory());
  });
  afterEach(() => cleanup());

  describe('workspaces', () => {
    it('inserts, reads, finds by name, updates and deletes', () => {
      const ws = workspace({ name: 'alpha' });
      store.insertWorkspace(ws);
      expect(store.getWorkspace(ws.id)).toEqual(ws);
      expect(store.findWorkspaceByName('alpha')).toEqual(ws);
      expect(store.getWorkspace('missing')).toBeUndefined();
      expect(store.updateWorkspace({ ...ws, branch: 'dev', lastJobId: 'j' })).toBe(true);
      expect(store.getWorkspace(ws.id)).toMatchObject({ branch: 'dev', lastJobId: 'j' });
      expect(store.updateWorkspace(workspace({ id: 'missing' }))).toBe(false);
      expect(store.deleteWorkspace(ws.id)).toBe(true);
      expect(store.deleteWorkspace(ws.id)).toBe(false);
      expect(store.getWorkspace(ws.id)).toBeUndefined();
    });

    it('refuses a taken name with CONFLICT, on insert and on update', () => {
      const a = workspace({ name: 'taken' });
      const b = workspace({ name: 'free' });
      store.insertWorkspace(a);
      store.insertWorkspace(b);
      expect(() => store.insertWorkspace(workspace({ name: 'taken' }))).toThrow(
        expect.objectContaining({
          code: 'CONFLICT',
          message: "workspace name 'taken' is already taken",
        }),
      );
      expect(() => store.updateWorkspace({ ...b, name: 'taken' })).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
    });

    it('pages and sorts, and refuses an unknown sort field', () => {
      for (const name of ['c', 'a', 'b', 'd']) store.insertWorkspace(workspace({ name }));
      const first = store.listWorkspaces({ offset: 0, limit: 3 });
      expect(first.total).toBe(4);
      expect(first.items.map((w) => w.name)).toEqual(['a', 'b', 'c']);
      expect(store.listWorkspaces({ offset: 3, limit: 3 }).items.map((w) => w.name)).toEqual(['d']);
      const desc = store.listWorkspaces({
        offset: 0,
        limit: 10,
        sort: { field: 'name', direction: 'desc' },
      });
      expect(desc.items.map((w) => w.name)).toEqual(['d', 'c', 'b', 'a']);
      expect(() =>
        store.listWorkspaces({ offset: 0, limit: 1, sort: { field: 'secret', direction: 'asc' } }),
      ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    });

    it("keeps a deleted workspace's jobs, with workspaceId set to null", () => {
      const ws = workspace();
      store.insertWorkspace(ws);
      const j = job({ workspaceId: ws.id });
      store.insertJob(j);
      store.deleteWorkspace(ws.id);
      expect(store.getJob(j.id)?.workspaceId).toBeNull();
    });
  });

  describe('jobs', () => {
    it('round-trips every field, JSON included', () => {
      const j = job({
        result: { created: [{ kind: 'job' }] },
        deliveryId: 'd',
        identity: 'me',
        leaseExpires: 5,
      });
      store.insertJob(j);
      expect(store.getJob(j.id)).toEqual(j);
      expect(store.findJobByDelivery('d')).toEqual(j);
      expect(store.findJobByDelivery('other')).toBeUndefined();
    });

    it('refuses a second job with the same delivery id', () => {
      store.insertJob(job({ deliveryId: 'same' }));
      expect(() => store.insertJob(job({ deliveryId: 'same' }))).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
      store.insertJob(job({ deliveryId: null }));
      store.insertJob(job({ deliveryId: null }));
      expect(store.listJobs({}, page).total).toBe(3);
    });

    it('lists newest first and filters by workspace, status, type, target and expired lease', () => {
      const ws = workspace();
      store.insertWorkspace(ws);
      const a = job({ workspaceId: ws.id, status: 'COMPLETE', target: 'x' });
      const b = job({ workspaceId: ws.id, type: 'TASK_DEPLOY', target: 'y' });
      const c = job({ status: 'RUNNING', leaseExpires: 100, target: 'x' });
      const d = job({ status: 'RUNNING', leaseExpires: 300, target: 'z' });
      for (const j of [a, b, c, d]) store.insertJob(j);
      const ids = (filter: Parameters<Store['listJobs']>[0]) =>
        store.listJobs(filter, page).items.map((j) => j.id);
      expect(ids({})).toEqual([d.id, c.id, b.id, a.id]);
      expect(ids({ workspaceId: ws.id })).toEqual([b.id, a.id]);
      expect(ids({ status: ['RUNNING', 'COMPLETE'] })).toEqual([d.id, c.id, a.id]);
      expect(ids({ type: 'TASK_DEPLOY' })).toEqual([b.id]);
      expect(ids({ target: 'x' })).toEqual([c.id, a.id]);
      expect(ids({ target: 'x', status: ['COMPLETE'] })).toEqual([a.id]);
      expect(ids({ leaseExpiredBefore: 200 })).toEqual([c.id]);
      expect(ids({ status: [] })).toEqual([]);
      const sorted = store.listJobs(
        {},
        { offset: 1, limit: 2, sort: { field: 'created', direction: 'asc' } },
      );
      expect(sorted.items.map((j) => j.id)).toEqual([b.id, c.id]);
      expect(sorted.total).toBe(4);
    });

    it('updates only when the expectation holds (compare-and-set)', () => {
      const j = job({ status: 'RUNNING', leaseOwner: 'me' });
      store.insertJob(j);
      expect(store.updateJob(j.id, { message: 'x' }, { status: ['QUEUED'] })).toBeUndefined();
      expect(store.updateJob(j.id, { message: 'x' }, { leaseOwner: 'other' })).toBeUndefined();
      expect(store.getJob(j.id)?.message).toBeNull();
      const updated = store.updateJob(
        j.id,
        { message: 'y', result: { ok: true } },
        { status: ['RUNNING'], leaseOwner: 'me' },
      );
      expect(updated).toMatchObject({ message: 'y', result: { ok: true }, status: 'RUNNING' });
      expect(store.getJob(j.id)).toEqual(updated);
      expect(store.updateJob('missing', { message: 'z' })).toBeUndefined();
      expect(store.updateJob(j.id, { result: null })?.result).toBeNull();
    });

    it('claims the oldest due job, one per target at a time, and sets its lease and start time', () => {
      const first = job({ target: 'a' });
      const second = job({ target: 'a' });
      const later = job({ target: 'b', runAfter: 1000 });
      const other = job({ target: 'c' });
      for (const j of [first, second, later, other]) store.insertJob(j);
      const claimed = store.claimJob('worker-1', 500, 30_500);
      expect(claimed).toMatchObject({
        id: first.id,
        status: 'RUNNING',
        leaseOwner: 'worker-1',
        leaseExpires: 30_500,
      });
      expect(claimed?.startTime).toBe(new Date(500).toISOString());
      // `second` waits for `first` (same target); `later` is not due yet.
      expect(store.claimJob('worker-1', 500, 30_500)?.id).toBe(other.id);
      expect(store.claimJob('worker-1', 500, 30_500)).toBeUndefined();
      expect(store.claimJob('worker-1', 1000, 31_000)?.id).toBe(later.id);
      store.updateJob(first.id, { status: 'COMPLETE' });
      expect(store.claimJob('worker-2', 1000, 31_000)?.id).toBe(second.id);
    });

    it('keeps the first start time when a retried job is claimed again', () => {
      const j = job({ startTime: '2026-01-01T00:00:00.000Z', attempt: 1 });
      store.insertJob(j);
      expect(store.claimJob('w', 10_000, 20_000)?.startTime).toBe('2026-01-01T00:00:00.000Z');
    });

    it('deletes a job with its log', () => {
      const j = job();
      store.insertJob(j);
      store.appendJobLogs(j.id, [{ time: 't', line: 'x' }]);
      expect(store.deleteJob(j.id)).toBe(true);
      expect(store.deleteJob(j.id)).toBe(false);
      expect(store.readJobLogs(j.id, 0, 10)).toEqual([]);
    });
  });

  describe('job logs', () => {
    it('numbers lines from 0, continuing across appends, separately per job', () => {
      const a = job();
      const b = job();
      store.insertJob(a);
      store.insertJob(b);
      expect(
        store.appendJobLogs(a.id, [
          { time: 't1', line: 'one' },
          { time: 't2', line: 'two' },
        ]),
      ).toBe(2);
      expect(store.appendJobLogs(b.id, [{ time: 't3', line: 'other' }])).toBe(1);
      expect(store.appendJobLogs(a.id, [{ time: 't4', line: 'three' }])).toBe(3);
      expect(store.readJobLogs(a.id, 0, 10)).toEqual([
        { sequence: 0, time: 't1', line: 'one' },
        { sequence: 1, time: 't2', line: 'two' },
        { sequence: 2, time: 't4', line: 'three' },
      ]);
      expect(store.readJobLogs(a.id, 1, 1)).toEqual([{ sequence: 1, time: 't2', line: 'two' }]);
      expect(store.readJobLogs(a.id, 3, 10)).toEqual([]);
      expect(store.readJobLogs(b.id, 0, 10)).toEqual([{ sequence: 0, time: 't3', line: 'other' }]);
    });

    it('refuses lines for a job that does not exist', () => {
      expect(() => store.appendJobLogs('missing', [{ time: 't', line: 'x' }])).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND' }),
      );
    });
  });

  describe('API tokens', () => {
    const token = (name: string, hash: string): ApiToken => ({
      id: `tok-${name}`,
      name,
      hash,
      created: 'c',
      lastUsed: null,
    });

    it('inserts, finds by hash, lists by name, touches and deletes', () => {
      store.insertApiToken(token('zeta', 'h1'));
      store.insertApiToken(token('alpha', 'h2'));
      expect(store.findApiTokenByHash('h1')?.name).toBe('zeta');
      expect(store.findApiTokenByHash('nope')).toBeUndefined();
      expect(store.listApiTokens().map((t) => t.name)).toEqual(['alpha', 'zeta']);
      store.touchApiToken('tok-zeta', '2026-01-02T00:00:00.000Z');
      expect(store.findApiTokenByHash('h1')?.lastUsed).toBe('2026-01-02T00:00:00.000Z');
      expect(store.deleteApiToken('tok-zeta')).toBe(true);
      expect(store.deleteApiToken('tok-zeta')).toBe(false);
      expect(store.findApiTokenByHash('h1')).toBeUndefined();
    });

    it('refuses a taken name', () => {
      store.insertApiToken(token('ci', 'h1'));
      expect(() => store.insertApiToken({ ...token('ci', 'h2'), id: 'other' })).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
    });
  });

  describe('transactions', () => {
    it('roll everything back when the function throws, nested calls included', () => {
      const kept = workspace();
      store.insertWorkspace(kept);
      const j = job();
      store.insertJob(j);
      expect(() =>
        store.transaction(() => {
          store.insertWorkspace(workspace({ name: 'rolled-back' }));
          store.transaction(() => store.updateJob(j.id, { status: 'COMPLETE' }));
          store.appendJobLogs(j.id, [{ time: 't', line: 'x' }]);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(store.findWorkspaceByName('rolled-back')).toBeUndefined();
      expect(store.getJob(j.id)?.status).toBe('QUEUED');
      expect(store.readJobLogs(j.id, 0, 10)).toEqual([]);
      expect(store.getWorkspace(kept.id)).toEqual(kept);
    });

    it("return the function's value and keep its writes", () => {
      const value = store.transaction(() => {
        store.insertWorkspace(workspace({ name: 'kept' }));
        return 42;
      });
      expect(value).toBe(42);
      expect(store.findWorkspaceByName('kept')).toBeDefined();
    });
  });

  it('hands out copies: changing a returned object does not change the store', () => {
    const ws = workspace();
    store.insertWorkspace(ws);
    const read = store.getWorkspace(ws.id) as Workspace;
    read.name = 'changed';
    ws.branch = 'changed';
    expect(store.getWorkspace(ws.id)?.name).not.toBe('changed');
    expect(store.getWorkspace(ws.id)?.branch).toBe('main');
  });
});
