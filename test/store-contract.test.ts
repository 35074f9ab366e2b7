import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../core/errors.js';
import { createMemoryStore } from '../core/store/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { JobFilter, PageRequest, Store } from '../core/store/types.js';
import { type ApiToken, isoTime, type Job, type Workspace } from '../core/types.js';
import { testJob } from './helpers/jobs.js';

// One contract, every adapter: what passes here for SQLite must pass for memory, and back.

interface Subject {
  store: Store;
  cleanup(): void;
}

const factories: Array<[string, () => Subject]> = [
  ['memory', () => ({ store: createMemoryStore(), cleanup: () => {} })],
  [
    'sqlite (temp file)',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-store-'));
      const store = openSqliteStore(path.join(dir, 'slipway.db'));
      return {
        store,
        cleanup() {
          store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'sqlite (:memory:)',
    () => {
      const store = openSqliteStore(':memory:');
      return { store, cleanup: () => store.close() };
    },
  ],
];

const T0 = Date.UTC(2026, 0, 1);
let counter = 0;

function workspace(overrides: Partial<Workspace> = {}): Workspace {
  counter += 1;
  return {
    id: `ws-${counter}`,
    name: `workspace-${counter}`,
    alias: `Workspace ${counter}`,
    repositoryUrl: 'https://example.com/demo.git',
    branch: 'main',
    namespace: 'demo',
    status: 'READY',
    deploymentSecret: 'hmac-key',
    owner: 'admin',
    timeoutSeconds: 600,
    created: isoTime(T0),
    lastModified: isoTime(T0),
    lastJobId: null,
    lastCommitId: null,
    lastDeployed: null,
    ...overrides,
  };
}

function job(overrides: Partial<Job> = {}): Job {
  counter += 1;
  return testJob({
    id: `job-${counter}`,
    created: isoTime(T0 + counter * 1000),
    target: `target-${counter}`,
    params: { ref: 'main' },
    updated: isoTime(T0),
    ...overrides,
  });
}

function token(name: string, overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: `tok-${name}`,
    name,
    hash: `hash-${name}`,
    created: isoTime(T0),
    lastUsed: null,
    ...overrides,
  };
}

const ALL: PageRequest = { offset: 0, limit: 1000 };

/** The error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each(factories)('the %s store', (_name, factory) => {
  let store: Store;
  let cleanup: () => void;
  beforeEach(() => {
    ({ store, cleanup } = factory());
  });
  afterEach(() => cleanup());

  const ids = (filter: JobFilter, page: PageRequest = ALL) =>
    store.listJobs(filter, page).items.map((j) => j.id);

  describe('workspaces', () => {
    it('reads back what was inserted, by id and by name', () => {
      const ws = workspace({ name: 'alpha', owner: null, lastDeployed: isoTime(T0 + 5) });
      store.insertWorkspace(ws);
      expect(store.getWorkspace(ws.id)).toEqual(ws);
      expect(store.findWorkspaceByName('alpha')).toEqual(ws);
      expect(store.getWorkspace('missing')).toBeUndefined();
      expect(store.findWorkspaceByName('ALPHA')).toBeUndefined();
    });

    it('refuses a taken name with CONFLICT naming it, and keeps the first workspace', () => {
      const first = workspace({ name: 'demo' });
      store.insertWorkspace(first);
      const error = thrown(() => store.insertWorkspace(workspace({ name: 'demo', branch: 'x' })));
      expect(isSlipwayError(error, 'CONFLICT')).toBe(true);
      expect((error as Error).message).toBe("workspace name 'demo' is already taken");
      expect(store.findWorkspaceByName('demo')).toEqual(first);
      expect(store.listWorkspaces(ALL).total).toBe(1);
    });

    it('refuses a taken id with CONFLICT', () => {
      const first = workspace();
      store.insertWorkspace(first);
      expect(() => store.insertWorkspace(workspace({ id: first.id }))).toThrow(
        expect.objectContaining({
          code: 'CONFLICT',
          message: `workspace '${first.id}' already exists`,
        }),
      );
    });

    it('replaces every field on update; false for a missing workspace', () => {
      const ws = workspace();
      store.insertWorkspace(ws);
      const changed: Workspace = {
        ...ws,
        name: 'renamed',
        branch: 'dev',
        status: 'FAILED',
        owner: null,
        timeoutSeconds: 30,
        lastJobId: 'job-x',
        lastCommitId: 'abc',
        lastDeployed: isoTime(T0 + 9),
      };
      expect(store.updateWorkspace(changed)).toBe(true);
      expect(store.getWorkspace(ws.id)).toEqual(changed);
      expect(store.findWorkspaceByName(ws.name)).toBeUndefined();
      expect(store.updateWorkspace(workspace({ id: 'missing' }))).toBe(false);
      expect(store.getWorkspace('missing')).toBeUndefined();
    });

    it('refuses an update to a name another workspace has, and keeps its own name allowed', () => {
      const a = workspace({ name: 'taken' });
      const b = workspace({ name: 'free' });
      store.insertWorkspace(a);
      store.insertWorkspace(b);
      expect(() => store.updateWorkspace({ ...b, name: 'taken' })).toThrow(
        expect.objectContaining({
          code: 'CONFLICT',
          message: "workspace name 'taken' is already taken",
        }),
      );
      expect(store.getWorkspace(b.id)?.name).toBe('free');
      expect(store.updateWorkspace({ ...a, branch: 'dev' })).toBe(true);
      expect(store.getWorkspace(a.id)?.branch).toBe('dev');
    });

    it('deletes once', () => {
      const ws = workspace();
      store.insertWorkspace(ws);
      expect(store.deleteWorkspace(ws.id)).toBe(true);
      expect(store.getWorkspace(ws.id)).toBeUndefined();
      expect(store.deleteWorkspace(ws.id)).toBe(false);
    });

    it("keeps a deleted workspace's jobs with workspaceId set to null, and other jobs as they were", () => {
      const gone = workspace();
      const kept = workspace();
      store.insertWorkspace(gone);
      store.insertWorkspace(kept);
      const orphan = job({ workspaceId: gone.id });
      const other = job({ workspaceId: kept.id });
      store.insertJob(orphan);
      store.insertJob(other);
      store.deleteWorkspace(gone.id);
      expect(store.getJob(orphan.id)).toEqual({ ...orphan, workspaceId: null });
      expect(store.getJob(other.id)).toEqual(other);
      expect(ids({ workspaceId: gone.id })).toEqual([]);
    });

    it('lists by name by default, a page at a time, with the total', () => {
      for (const name of ['cherry', 'apple', 'date', 'banana', 'elder']) {
        store.insertWorkspace(workspace({ name }));
      }
      const names = (page: PageRequest) => store.listWorkspaces(page).items.map((w) => w.name);
      expect(names({ offset: 0, limit: 2 })).toEqual(['apple', 'banana']);
      expect(names({ offset: 2, limit: 2 })).toEqual(['cherry', 'date']);
      expect(names({ offset: 4, limit: 2 })).toEqual(['elder']);
      expect(store.listWorkspaces({ offset: 2, limit: 2 }).total).toBe(5);
      expect(store.listWorkspaces({ offset: 9, limit: 2 })).toEqual({ items: [], total: 5 });
      expect(store.listWorkspaces({ offset: 0, limit: 0 })).toEqual({ items: [], total: 5 });
    });

    it('finds the workspaces whose repository URL mentions a text, in any case, by name', () => {
      store.insertWorkspace(
        workspace({ name: 'b-ssh', repositoryUrl: 'git@github.com:Acme/Shop.git' }),
      );
      store.insertWorkspace(workspace({ name: 'a-short', repositoryUrl: 'acme/shop' }));
      store.insertWorkspace(workspace({ name: 'c-other', repositoryUrl: 'acme/shelf' }));
      store.insertWorkspace(workspace({ name: 'd-path', repositoryUrl: '/srv/repos/SHOP' }));
      const names = (text: string) => store.findWorkspacesMentioning(text).map((w) => w.name);
      expect(names('shop')).toEqual(['a-short', 'b-ssh', 'd-path']);
      expect(names('SHELF')).toEqual(['c-other']);
      // A plain substring: LIKE's wildcards mean nothing here.
      expect(names('%')).toEqual([]);
      expect(names('s_op')).toEqual([]);
    });

    it('sorts by each allowed field, both ways, ties broken by id', () => {
      store.insertWorkspace(
        workspace({
          id: 'w1',
          name: 'b',
          status: 'READY',
          created: isoTime(T0 + 3),
          lastModified: isoTime(T0 + 1),
        }),
      );
      store.insertWorkspace(
        workspace({
          id: 'w2',
          name: 'c',
          status: 'FAILED',
          created: isoTime(T0 + 1),
          lastModified: isoTime(T0 + 2),
        }),
      );
      store.insertWorkspace(
        workspace({
          id: 'w3',
          name: 'a',
          status: 'READY',
          created: isoTime(T0 + 2),
          lastModified: isoTime(T0 + 3),
        }),
      );
      const order = (field: string, direction: 'asc' | 'desc') =>
        store
          .listWorkspaces({ offset: 0, limit: 10, sort: { field, direction } })
          .items.map((w) => w.id);
      expect(order('name', 'asc')).toEqual(['w3', 'w1', 'w2']);
      expect(order('name', 'desc')).toEqual(['w2', 'w1', 'w3']);
      expect(order('created', 'asc')).toEqual(['w2', 'w3', 'w1']);
      expect(order('created', 'desc')).toEqual(['w1', 'w3', 'w2']);
      expect(order('lastModified', 'desc')).toEqual(['w3', 'w2', 'w1']);
      expect(order('status', 'asc')).toEqual(['w2', 'w1', 'w3']);
      expect(order('status', 'desc')).toEqual(['w3', 'w1', 'w2']);
    });

    it('refuses an unknown sort field with BAD_REQUEST naming it and the allowed ones', () => {
      const error = thrown(() =>
        store.listWorkspaces({
          offset: 0,
          limit: 1,
          sort: { field: 'deploymentSecret', direction: 'asc' },
        }),
      );
      expect(isSlipwayError(error, 'BAD_REQUEST')).toBe(true);
      expect((error as Error).message).toBe(
        "cannot sort workspaces by 'deploymentSecret'; expected one of name, created, lastModified, status",
      );
      expect(() =>
        store.listWorkspaces({
          offset: 0,
          limit: 1,
          sort: { field: 'name; DROP TABLE workspaces', direction: 'asc' },
        }),
      ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    });
  });

  describe('jobs', () => {
    it('reads back every field, the JSON ones included, by id and by delivery id', () => {
      const ws = workspace();
      store.insertWorkspace(ws);
      const full = job({
        status: 'RUNNING',
        attempt: 2,
        startTime: isoTime(T0 + 1),
        endTime: isoTime(T0 + 2),
        exitCode: -1,
        commitId: 'abc123',
        message: 'note',
        workspaceId: ws.id,
        params: { units: ['a', 'b'], nested: { depth: 2, ok: true, none: null } },
        result: { created: [{ kind: 'Deployment', name: 'web' }], pruned: [] },
        deliveryId: 'delivery-1',
        identity: 'token:ci',
        runAfter: T0 + 123,
        leaseOwner: 'worker-1',
        leaseExpires: T0 + 30_000,
      });
      const bare = job();
      store.insertJob(full);
      store.insertJob(bare);
      expect(store.getJob(full.id)).toEqual(full);
      expect(store.getJob(bare.id)).toEqual(bare);
      expect(store.findJobByDelivery('delivery-1')).toEqual(full);
      expect(store.findJobByDelivery('delivery-2')).toBeUndefined();
      expect(store.getJob('missing')).toBeUndefined();
    });

    it('stores params, result and progress as JSON: a Date comes back as its string, undefined disappears', () => {
      const j = job({ params: { at: new Date(T0), skip: undefined, keep: 1 } });
      store.insertJob(j);
      expect(store.getJob(j.id)?.params).toStrictEqual({ at: isoTime(T0), keep: 1 });
      store.updateJob(j.id, { progress: { before: { 'job/ns/a': 'h1' }, at: new Date(T0) } });
      expect(store.getJob(j.id)?.progress).toStrictEqual({
        before: { 'job/ns/a': 'h1' },
        at: isoTime(T0),
      });
      expect(store.updateJob(j.id, { progress: null })?.progress).toBeNull();
    });

    it('refuses a taken delivery id with CONFLICT naming it, and allows many jobs without one', () => {
      const first = job({ deliveryId: 'same' });
      store.insertJob(first);
      const error = thrown(() => store.insertJob(job({ deliveryId: 'same' })));
      expect(isSlipwayError(error, 'CONFLICT')).toBe(true);
      expect((error as Error).message).toBe("delivery id 'same' is already taken by another job");
      expect(store.findJobByDelivery('same')).toEqual(first);
      store.insertJob(job());
      store.insertJob(job());
      expect(store.listJobs({}, ALL).total).toBe(3);
    });

    it('refuses a taken job id with CONFLICT, and a missing workspace with NOT_FOUND', () => {
      const first = job();
      store.insertJob(first);
      expect(() => store.insertJob(job({ id: first.id }))).toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: `job '${first.id}' already exists` }),
      );
      expect(() => store.insertJob(job({ workspaceId: 'no-such-workspace' }))).toThrow(
        expect.objectContaining({
          code: 'NOT_FOUND',
          message: "workspace 'no-such-workspace' does not exist",
        }),
      );
      expect(store.listJobs({}, ALL).total).toBe(1);
    });

    it('lists newest first, equal creation times newest inserted first, a page at a time', () => {
      const a = job({ created: isoTime(T0 + 1) });
      const b = job({ created: isoTime(T0 + 3) });
      const c = job({ created: isoTime(T0 + 2) });
      const d = job({ created: isoTime(T0 + 2) });
      for (const j of [a, b, c, d]) store.insertJob(j);
      expect(ids({})).toEqual([b.id, d.id, c.id, a.id]);
      const page = store.listJobs({}, { offset: 1, limit: 2 });
      expect(page.items.map((j) => j.id)).toEqual([d.id, c.id]);
      expect(page.total).toBe(4);
      expect(store.listJobs({}, { offset: 4, limit: 2 })).toEqual({ items: [], total: 4 });
    });

    it('pages through every order alike, deep pages included, ties and NULLs in place', () => {
      // Pages past the middle may be found from the far end of an index: every page must still
      // hold exactly the jobs the whole list has at those positions.
      for (let i = 0; i < 23; i++) {
        store.insertJob(
          job({
            created: isoTime(T0 + (i % 5)),
            startTime: i % 3 === 0 ? null : isoTime(T0 + (i % 4)),
          }),
        );
      }
      const sorts = [
        undefined,
        { field: 'created', direction: 'asc' as const },
        { field: 'startTime', direction: 'asc' as const },
        { field: 'startTime', direction: 'desc' as const },
      ];
      for (const sort of sorts) {
        const whole = ids({}, { offset: 0, limit: 100, ...(sort && { sort }) });
        expect(whole).toHaveLength(23);
        for (const limit of [1, 4, 7]) {
          const pages: string[] = [];
          for (let offset = 0; offset < 30; offset += limit) {
            const page = store.listJobs({}, { offset, limit, ...(sort && { sort }) });
            expect(page.total).toBe(23);
            pages.push(...page.items.map((j) => j.id));
          }
          expect(pages, `${JSON.stringify(sort)} in pages of ${limit}`).toEqual(whole);
        }
      }
    });

    it('filters by workspace, status, type and target, alone and combined', () => {
      const ws = workspace();
      const other = workspace();
      store.insertWorkspace(ws);
      store.insertWorkspace(other);
      const a = job({ workspaceId: ws.id, status: 'COMPLETE', target: 'x' });
      const b = job({ workspaceId: ws.id, type: 'TASK_DEPLOY', target: 'y' });
      const c = job({ workspaceId: other.id, status: 'RUNNING', target: 'x' });
      const d = job({ status: 'ERROR', type: 'TASK_DEPLOY', target: 'x' });
      for (const j of [a, b, c, d]) store.insertJob(j);
      expect(ids({ workspaceId: ws.id })).toEqual([b.id, a.id]);
      expect(ids({ workspaceId: 'nobody' })).toEqual([]);
      expect(ids({ status: ['QUEUED'] })).toEqual([b.id]);
      expect(ids({ status: ['RUNNING', 'COMPLETE'] })).toEqual([c.id, a.id]);
      expect(ids({ status: [] })).toEqual([]);
      expect(ids({ type: 'TASK_DEPLOY' })).toEqual([d.id, b.id]);
      expect(ids({ target: 'x' })).toEqual([d.id, c.id, a.id]);
      expect(ids({ target: 'x', status: ['COMPLETE', 'ERROR'] })).toEqual([d.id, a.id]);
      expect(ids({ target: 'x', type: 'TASK_DEPLOY' })).toEqual([d.id]);
      expect(
        ids({ workspaceId: ws.id, type: 'TASK_DEPLOY', target: 'y', status: ['QUEUED'] }),
      ).toEqual([b.id]);
      expect(ids({ workspaceId: ws.id, target: 'x', status: ['QUEUED'] })).toEqual([]);
      const paged = store.listJobs({ target: 'x' }, { offset: 0, limit: 1 });
      expect(paged).toMatchObject({ total: 3, items: [{ id: d.id }] });
      // Every list's total is its length, however the store counts it.
      const filters: JobFilter[] = [
        {},
        { status: ['QUEUED'] },
        { status: ['RUNNING', 'COMPLETE'] },
        { status: [] },
        { type: 'TASK_DEPLOY' },
        { type: 'TASK_DEPLOY', status: ['ERROR', 'QUEUED'] },
        { target: 'x' },
        { workspaceId: ws.id, status: ['QUEUED'] },
      ];
      for (const filter of filters) {
        expect(store.listJobs(filter, { offset: 0, limit: 1 }).total).toBe(ids(filter).length);
      }
    });

    it('finds RUNNING jobs whose lease lapsed before an instant, alone and with other filters', () => {
      const lapsed = job({ status: 'RUNNING', leaseExpires: 100, target: 'a' });
      const boundary = job({ status: 'RUNNING', leaseExpires: 200, target: 'b' });
      const alive = job({ status: 'RUNNING', leaseExpires: 300, target: 'c' });
      const noLease = job({ status: 'RUNNING', leaseExpires: null, target: 'd' });
      const queued = job({ status: 'QUEUED', leaseExpires: 50, target: 'a' });
      const ended = job({ status: 'ERROR', leaseExpires: 50, target: 'a' });
      for (const j of [lapsed, boundary, alive, noLease, queued, ended]) store.insertJob(j);
      expect(ids({ leaseExpiredBefore: 200 })).toEqual([lapsed.id]);
      expect(ids({ leaseExpiredBefore: 301 })).toEqual([alive.id, boundary.id, lapsed.id]);
      expect(ids({ leaseExpiredBefore: 301, target: 'b' })).toEqual([boundary.id]);
      expect(ids({ leaseExpiredBefore: 301, status: ['QUEUED'] })).toEqual([]);
    });

    it('sorts by each allowed field, both ways, NULL before any value ascending', () => {
      const a = job({
        status: 'RUNNING',
        type: 'DELETE',
        startTime: isoTime(T0 + 2),
        endTime: null,
      });
      const b = job({
        status: 'COMPLETE',
        type: 'ROLLOUT',
        startTime: null,
        endTime: isoTime(T0 + 5),
      });
      const c = job({
        status: 'QUEUED',
        type: 'CONFIG_LOAD',
        startTime: isoTime(T0 + 1),
        endTime: isoTime(T0 + 4),
      });
      for (const j of [a, b, c]) store.insertJob(j);
      const order = (field: string, direction: 'asc' | 'desc') =>
        ids({}, { offset: 0, limit: 10, sort: { field, direction } });
      expect(order('created', 'asc')).toEqual([a.id, b.id, c.id]);
      expect(order('created', 'desc')).toEqual([c.id, b.id, a.id]);
      expect(order('status', 'asc')).toEqual([b.id, c.id, a.id]);
      expect(order('type', 'desc')).toEqual([b.id, a.id, c.id]);
      expect(order('startTime', 'asc')).toEqual([b.id, c.id, a.id]);
      expect(order('startTime', 'desc')).toEqual([a.id, c.id, b.id]);
      expect(order('endTime', 'asc')).toEqual([a.id, c.id, b.id]);
      expect(order('endTime', 'desc')).toEqual([b.id, c.id, a.id]);
    });

    it('refuses an unknown sort field with BAD_REQUEST naming it and the allowed ones', () => {
      expect(() =>
        store.listJobs({}, { offset: 0, limit: 1, sort: { field: 'params', direction: 'asc' } }),
      ).toThrow(
        expect.objectContaining({
          code: 'BAD_REQUEST',
          message:
            "cannot sort jobs by 'params'; expected one of created, status, type, startTime, endTime",
        }),
      );
    });

    it('updates only the given fields and returns the job as stored', () => {
      const j = job({ status: 'RUNNING', leaseOwner: 'me', message: 'before' });
      store.insertJob(j);
      const updated = store.updateJob(j.id, {
        status: 'COMPLETE',
        endTime: isoTime(T0 + 7),
        exitCode: 0,
        result: { ok: true, changed: ['web'] },
        leaseOwner: null,
        message: undefined,
      });
      const expected: Job = {
        ...j,
        status: 'COMPLETE',
        endTime: isoTime(T0 + 7),
        exitCode: 0,
        result: { ok: true, changed: ['web'] },
        leaseOwner: null,
      };
      expect(updated).toEqual(expected);
      expect(store.getJob(j.id)).toEqual(expected);
      expect(store.updateJob(j.id, { result: null })?.result).toBeNull();
      expect(store.updateJob('missing', { message: 'x' })).toBeUndefined();
      expect(store.getJob('missing')).toBeUndefined();
    });

    it('applies an update only when every expectation holds (compare-and-set)', () => {
      const j = job({ status: 'RUNNING', leaseOwner: 'me', leaseExpires: 10 });
      store.insertJob(j);
      expect(store.updateJob(j.id, { leaseExpires: 20 }, { status: ['QUEUED'] })).toBeUndefined();
      expect(store.updateJob(j.id, { leaseExpires: 20 }, { status: [] })).toBeUndefined();
      expect(store.updateJob(j.id, { leaseExpires: 20 }, { leaseOwner: 'other' })).toBeUndefined();
      expect(
        store.updateJob(j.id, { leaseExpires: 20 }, { status: ['RUNNING'], leaseOwner: 'other' }),
      ).toBeUndefined();
      expect(
        store.updateJob(j.id, { leaseExpires: 20 }, { status: ['QUEUED'], leaseOwner: 'me' }),
      ).toBeUndefined();
      expect(store.getJob(j.id)?.leaseExpires).toBe(10);

      expect(
        store.updateJob(j.id, { leaseExpires: 20 }, { status: ['QUEUED', 'RUNNING'] })
          ?.leaseExpires,
      ).toBe(20);
      expect(store.updateJob(j.id, { leaseExpires: 30 }, { leaseOwner: 'me' })?.leaseExpires).toBe(
        30,
      );
      expect(
        store.updateJob(j.id, { leaseExpires: 40 }, { status: ['RUNNING'], leaseOwner: 'me' })
          ?.leaseExpires,
      ).toBe(40);
      // Nothing to change still answers whether the expectation holds.
      expect(store.updateJob(j.id, {}, { status: ['RUNNING'] })).toEqual({
        ...j,
        leaseExpires: 40,
      });
      expect(store.updateJob(j.id, {}, { status: ['COMPLETE'] })).toBeUndefined();
      const unowned = job({ leaseOwner: null });
      store.insertJob(unowned);
      expect(store.updateJob(unowned.id, { message: 'x' }, { leaseOwner: 'me' })).toBeUndefined();
    });

    it('refuses an update to a taken delivery id or a missing workspace, leaving the job as it was', () => {
      const a = job({ deliveryId: 'd-a' });
      const b = job({ deliveryId: 'd-b' });
      store.insertJob(a);
      store.insertJob(b);
      expect(() => store.updateJob(b.id, { deliveryId: 'd-a' })).toThrow(
        expect.objectContaining({ code: 'CONFLICT' }),
      );
      expect(() => store.updateJob(b.id, { workspaceId: 'nowhere' })).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND' }),
      );
      expect(store.getJob(b.id)).toEqual(b);
    });

    it('deletes a job with its log lines, once', () => {
      const j = job();
      const other = job();
      store.insertJob(j);
      store.insertJob(other);
      store.appendJobLogs(j.id, [{ time: 't', line: 'x' }]);
      store.appendJobLogs(other.id, [{ time: 't', line: 'kept' }]);
      expect(store.deleteJob(j.id)).toBe(true);
      expect(store.getJob(j.id)).toBeUndefined();
      expect(store.deleteJob(j.id)).toBe(false);
      expect(store.readJobLogs(j.id, 0, 10)).toEqual([]);
      // A new job with the same id starts a fresh log: the old lines are really gone.
      store.insertJob(j);
      expect(store.appendJobLogs(j.id, [{ time: 't', line: 'again' }])).toBe(1);
      expect(store.readJobLogs(j.id, 0, 10)).toEqual([{ sequence: 0, time: 't', line: 'again' }]);
      expect(store.readJobLogs(other.id, 0, 10)).toEqual([
        { sequence: 0, time: 't', line: 'kept' },
      ]);
    });

    it('counts jobs by type and status through inserts, updates, claims, deletes and rollbacks', () => {
      /** The same counts, the slow way: from the whole list. */
      const listed = () => {
        const counts = new Map<string, number>();
        for (const j of store.listJobs({}, ALL).items) {
          const key = `${j.type}/${j.status}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return counts;
      };
      const counted = () =>
        new Map(store.countJobs().map((c) => [`${c.type}/${c.status}`, c.count]));
      expect(store.countJobs()).toEqual([]);

      const deploys = [job(), job(), job()];
      for (const j of deploys) store.insertJob(j);
      const task = job({ type: 'TASK_DEPLOY', status: 'COMPLETE' });
      store.insertJob(task);
      store.claimJob('worker', Date.now(), Date.now() + 60_000);
      store.updateJob(deploys[1]?.id ?? '', { status: 'STOPPED', message: 'withdrawn' });
      // Changing fields other than the status moves no count.
      store.updateJob(deploys[2]?.id ?? '', { message: 'still waiting' });
      expect(store.countJobs()).toEqual([
        { type: 'TASK_DEPLOY', status: 'COMPLETE', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'QUEUED', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'RUNNING', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'STOPPED', count: 1 },
      ]);
      expect(counted()).toEqual(listed());

      // A rolled-back write leaves the counts as they were.
      thrown(() =>
        store.transaction(() => {
          store.insertJob(job());
          store.updateJob(task.id, { status: 'ERROR' });
          throw new Error('roll back');
        }),
      );
      expect(counted()).toEqual(listed());

      // A status that empties ends its pair; a delete takes the job out of its count.
      store.deleteJob(task.id);
      store.updateJob(deploys[2]?.id ?? '', { status: 'STOPPED' });
      expect(store.countJobs()).toEqual([
        { type: 'WORKSPACE_DEPLOY', status: 'RUNNING', count: 1 },
        { type: 'WORKSPACE_DEPLOY', status: 'STOPPED', count: 2 },
      ]);
      expect(counted()).toEqual(listed());
    });
  });

  describe('claiming jobs', () => {
    it('takes the oldest QUEUED job by creation time, then by insertion, and leases it', () => {
      const newer = job({ created: isoTime(T0 + 20), target: 'n' });
      const oldest = job({ created: isoTime(T0 + 10), target: 'o' });
      const tieFirst = job({ created: isoTime(T0 + 15), target: 't1' });
      const tieSecond = job({ created: isoTime(T0 + 15), target: 't2' });
      for (const j of [newer, oldest, tieFirst, tieSecond]) store.insertJob(j);
      const claimed = store.claimJob('worker-1', T0 + 500, T0 + 30_500);
      expect(claimed).toEqual({
        ...oldest,
        status: 'RUNNING',
        leaseOwner: 'worker-1',
        leaseExpires: T0 + 30_500,
        startTime: isoTime(T0 + 500),
        updated: isoTime(T0 + 500),
      });
      expect(store.getJob(oldest.id)).toEqual(claimed);
      expect(store.claimJob('worker-2', T0 + 600, T0 + 1)?.id).toBe(tieFirst.id);
      expect(store.claimJob('worker-2', T0 + 600, T0 + 1)?.id).toBe(tieSecond.id);
      expect(store.claimJob('worker-2', T0 + 600, T0 + 1)?.id).toBe(newer.id);
      expect(store.claimJob('worker-2', T0 + 600, T0 + 1)).toBeUndefined();
    });

    it('leaves a job whose runAfter is still ahead, and takes it once due', () => {
      const later = job({ runAfter: 1000 });
      store.insertJob(later);
      expect(store.claimJob('w', 999, 5000)).toBeUndefined();
      expect(store.getJob(later.id)?.status).toBe('QUEUED');
      expect(store.claimJob('w', 1000, 5000)?.id).toBe(later.id);
    });

    it("skips a target's queued jobs while one of its jobs runs, taking other targets' jobs", () => {
      const first = job({ target: 'workspace:a' });
      const second = job({ target: 'workspace:a' });
      const other = job({ target: 'workspace:b' });
      for (const j of [first, second, other]) store.insertJob(j);
      expect(store.claimJob('w1', 10, 100)?.id).toBe(first.id);
      expect(store.claimJob('w2', 10, 100)?.id).toBe(other.id);
      expect(store.claimJob('w2', 10, 100)).toBeUndefined();
      expect(store.getJob(second.id)?.status).toBe('QUEUED');
      store.updateJob(first.id, { status: 'COMPLETE' });
      expect(store.claimJob('w2', 10, 100)?.id).toBe(second.id);
    });

    it('treats a RUNNING job inserted as such as holding its target', () => {
      store.insertJob(job({ target: 'busy', status: 'RUNNING', leaseOwner: 'elsewhere' }));
      store.insertJob(job({ target: 'busy' }));
      expect(store.claimJob('w', 10, 100)).toBeUndefined();
    });

    it('keeps the first start time of a job claimed again after a retry', () => {
      const retried = job({ startTime: isoTime(T0), attempt: 1 });
      store.insertJob(retried);
      const claimed = store.claimJob('w', T0 + 10_000, T0 + 20_000);
      expect(claimed?.startTime).toBe(isoTime(T0));
      expect(claimed?.updated).toBe(isoTime(T0 + 10_000));
    });

    it('never takes a job that is not QUEUED', () => {
      for (const status of ['RUNNING', 'COMPLETE', 'ERROR', 'STOPPED'] as const)
        store.insertJob(job({ status }));
      expect(store.claimJob('w', T0, T0 + 1)).toBeUndefined();
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
      expect(store.appendJobLogs(a.id, [])).toBe(3);
      expect(store.readJobLogs(a.id, 0, 10)).toEqual([
        { sequence: 0, time: 't1', line: 'one' },
        { sequence: 1, time: 't2', line: 'two' },
        { sequence: 2, time: 't4', line: 'three' },
      ]);
      expect(store.readJobLogs(b.id, 0, 10)).toEqual([{ sequence: 0, time: 't3', line: 'other' }]);
    });

    it('reads from a sequence on, at most `limit` lines', () => {
      const j = job();
      store.insertJob(j);
      store.appendJobLogs(
        j.id,
        Array.from({ length: 5 }, (_, i) => ({ time: `t${i}`, line: `line ${i}` })),
      );
      const sequences = (from: number, limit: number) =>
        store.readJobLogs(j.id, from, limit).map((l) => l.sequence);
      expect(sequences(0, 2)).toEqual([0, 1]);
      expect(sequences(2, 2)).toEqual([2, 3]);
      expect(sequences(3, 100)).toEqual([3, 4]);
      expect(sequences(5, 10)).toEqual([]);
      expect(sequences(1, 0)).toEqual([]);
      expect(store.readJobLogs('missing', 0, 10)).toEqual([]);
    });

    it('reads the last `limit` lines, in order', () => {
      const j = job();
      store.insertJob(j);
      store.appendJobLogs(
        j.id,
        Array.from({ length: 5 }, (_, i) => ({ time: `t${i}`, line: `line ${i}` })),
      );
      const tail = (limit: number) => store.readJobLogTail(j.id, limit).map((l) => l.sequence);
      expect(store.readJobLogTail(j.id, 2)).toEqual([
        { sequence: 3, time: 't3', line: 'line 3' },
        { sequence: 4, time: 't4', line: 'line 4' },
      ]);
      expect(tail(100)).toEqual([0, 1, 2, 3, 4]);
      expect(tail(0)).toEqual([]);
      expect(store.readJobLogTail('missing', 10)).toEqual([]);
    });

    it('refuses lines for a job that does not exist, writing nothing', () => {
      expect(() => store.appendJobLogs('missing', [{ time: 't', line: 'x' }])).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: "job 'missing' does not exist" }),
      );
      store.insertJob(job({ id: 'missing' }));
      expect(store.readJobLogs('missing', 0, 10)).toEqual([]);
    });
  });

  describe('API tokens', () => {
    it('inserts, finds by hash, lists by name, touches and deletes', () => {
      store.insertApiToken(token('zeta'));
      store.insertApiToken(token('alpha'));
      expect(store.findApiTokenByHash('hash-zeta')).toEqual(token('zeta'));
      expect(store.findApiTokenByHash('unknown')).toBeUndefined();
      expect(store.listApiTokens()).toEqual([token('alpha'), token('zeta')]);
      store.touchApiToken('tok-zeta', isoTime(T0 + 60_000));
      store.touchApiToken('tok-missing', isoTime(T0));
      expect(store.findApiTokenByHash('hash-zeta')?.lastUsed).toBe(isoTime(T0 + 60_000));
      expect(store.findApiTokenByHash('hash-alpha')?.lastUsed).toBeNull();
      expect(store.deleteApiToken('tok-zeta')).toBe(true);
      expect(store.deleteApiToken('tok-zeta')).toBe(false);
      expect(store.findApiTokenByHash('hash-zeta')).toBeUndefined();
      expect(store.listApiTokens().map((t) => t.name)).toEqual(['alpha']);
    });

    it('refuses a taken name or hash with CONFLICT, keeping the first token', () => {
      store.insertApiToken(token('ci'));
      expect(() => store.insertApiToken(token('ci', { id: 'other', hash: 'other' }))).toThrow(
        expect.objectContaining({
          code: 'CONFLICT',
          message: "API token name 'ci' is already taken",
        }),
      );
      const error = thrown(() => store.insertApiToken(token('deploy', { hash: 'hash-ci' })));
      expect(isSlipwayError(error, 'CONFLICT')).toBe(true);
      expect((error as Error).message).not.toContain('hash-ci');
      expect(store.listApiTokens()).toEqual([token('ci')]);
    });
  });

  describe('records', () => {
    it('puts, replaces, reads, lists by namespace in key order, and deletes', () => {
      store.putRecord('tasks', 'ns-b/web', 'ns-b', { name: 'web', replicas: 1 });
      store.putRecord('tasks', 'ns-a/zeta', 'ns-a', { name: 'zeta' });
      store.putRecord('tasks', 'ns-a/alpha', 'ns-a', { name: 'alpha', when: '2026-01-01' });
      store.putRecord('pipelines', 'p-1', 'ns-a', { id: 'p-1' });
      store.putRecord('tasks', 'ns-b/web', 'ns-b', { name: 'web', replicas: 2 });
      expect(store.getRecord('tasks', 'ns-b/web')).toEqual({ name: 'web', replicas: 2 });
      expect(store.getRecord('tasks', 'missing')).toBeUndefined();
      expect(store.listRecords<{ name: string }>('tasks').map((r) => r.name)).toEqual([
        'alpha',
        'zeta',
        'web',
      ]);
      expect(store.listRecords<{ name: string }>('tasks', 'ns-a').map((r) => r.name)).toEqual([
        'alpha',
        'zeta',
      ]);
      expect(store.listRecords('pipelines')).toEqual([{ id: 'p-1' }]);
      expect(store.deleteRecord('tasks', 'ns-a/zeta')).toBe(true);
      expect(store.deleteRecord('tasks', 'ns-a/zeta')).toBe(false);
      expect(store.listRecords('tasks', 'ns-a')).toHaveLength(1);
    });

    it('hand out copies and roll back with the transaction', () => {
      const value = { list: [1] };
      store.putRecord('tasks', 'k', 'n', value);
      value.list.push(2);
      (store.getRecord<{ list: number[] }>('tasks', 'k') as { list: number[] }).list.push(3);
      expect(store.getRecord('tasks', 'k')).toEqual({ list: [1] });
      expect(() =>
        store.transaction(() => {
          store.putRecord('tasks', 'k', 'n', { list: [] });
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(store.getRecord('tasks', 'k')).toEqual({ list: [1] });
    });
  });

  describe('stable ids', () => {
    it("numbers names per sequence from 1 and keeps each name's id", () => {
      expect(store.stableId('patterns', 'CORE_DV_HLS')).toBe(1);
      expect(store.stableId('patterns', 'EDGE')).toBe(2);
      expect(store.stableId('definitions', 'dev')).toBe(1);
      expect(store.stableId('patterns', 'CORE_DV_HLS')).toBe(1);
      expect(store.stableId('patterns', 'NEW')).toBe(3);
    });
  });

  describe('outbox', () => {
    const entry = (key: string, payload: Record<string, unknown>, nextAttempt = T0) => ({
      topic: 'github-check-run',
      key,
      payload,
      created: isoTime(T0),
      nextAttempt,
    });

    it('hands out due pending entries oldest first, and ends each once', () => {
      const a = store.addOutbox(entry('job-1', { status: 'queued' }));
      const b = store.addOutbox(entry('job-1', { status: 'in_progress' }));
      const later = store.addOutbox(entry('job-2', { status: 'queued' }, T0 + 5000));
      expect(b).toBeGreaterThan(a);
      expect(store.dueOutbox(T0, 10).map((e) => e.id)).toEqual([a, b]);
      expect(store.dueOutbox(T0, 1).map((e) => e.id)).toEqual([a]);
      expect(store.dueOutbox(T0 + 5000, 10).map((e) => e.id)).toEqual([a, b, later]);
      expect(store.dueOutbox(T0, 10)[1]).toMatchObject({
        topic: 'github-check-run',
        key: 'job-1',
        payload: { status: 'in_progress' },
        state: 'pending',
        attempts: 0,
        lastError: null,
        done: null,
      });

      expect(store.finishOutbox(a, 'sent', isoTime(T0 + 1))).toBe(true);
      expect(store.finishOutbox(a, 'sent', isoTime(T0 + 2))).toBe(false);
      expect(store.finishOutbox(b, 'skipped', isoTime(T0 + 1), 'superseded')).toBe(true);
      expect(store.dueOutbox(T0 + 5000, 10).map((e) => e.id)).toEqual([later]);
      expect(store.outboxOf('github-check-run', 'job-1')).toEqual([
        expect.objectContaining({ id: a, state: 'sent', done: isoTime(T0 + 1) }),
        expect.objectContaining({ id: b, state: 'skipped', lastError: 'superseded' }),
      ]);
      expect(store.outboxOf('github-deployment', 'job-1')).toEqual([]);
    });

    it('hands each sender only the topics it asks for', () => {
      const check = store.addOutbox(entry('job-1', { status: 'queued' }));
      const note = store.addOutbox({ ...entry('job-1', {}), topic: 'notification' });
      const deployment = store.addOutbox({ ...entry('job-2', {}), topic: 'github-deployment' });
      expect(store.dueOutbox(T0, 10).map((e) => e.id)).toEqual([check, note, deployment]);
      expect(
        store.dueOutbox(T0, 10, ['github-check-run', 'github-deployment']).map((e) => e.id),
      ).toEqual([check, deployment]);
      expect(store.dueOutbox(T0, 1, ['notification']).map((e) => e.id)).toEqual([note]);
      expect(store.dueOutbox(T0, 10, [])).toEqual([]);
    });

    it('defers a failed entry, counting attempts, until it is due again', () => {
      const id = store.addOutbox(entry('job-1', {}));
      expect(store.deferOutbox(id, T0 + 1000, '502 Bad Gateway')).toBe(true);
      expect(store.dueOutbox(T0, 10)).toEqual([]);
      expect(store.dueOutbox(T0 + 1000, 10)[0]).toMatchObject({
        attempts: 1,
        lastError: '502 Bad Gateway',
        nextAttempt: T0 + 1000,
      });
      store.finishOutbox(id, 'dead', isoTime(T0), 'gave up');
      expect(store.deferOutbox(id, T0, 'again')).toBe(false);
      expect(store.outboxOf('github-check-run', 'job-1')[0]).toMatchObject({
        state: 'dead',
        attempts: 1,
        lastError: 'gave up',
      });
    });

    it('writes nothing when the transaction that wrote it rolls back', () => {
      expect(() =>
        store.transaction(() => {
          store.addOutbox(entry('job-1', {}));
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(store.dueOutbox(T0, 10)).toEqual([]);
    });
  });

  describe('transactions', () => {
    it("return the function's value and keep its writes", () => {
      const value = store.transaction(() => {
        store.insertWorkspace(workspace({ name: 'kept' }));
        return 42;
      });
      expect(value).toBe(42);
      expect(store.findWorkspaceByName('kept')).toBeDefined();
    });

    it('roll every write back when the function throws, and the store keeps working', () => {
      const doomed = workspace();
      store.insertWorkspace(doomed);
      const j = job({ workspaceId: doomed.id });
      store.insertJob(j);
      store.appendJobLogs(j.id, [{ time: 't', line: 'before' }]);
      const boom = new Error('boom');
      expect(() =>
        store.transaction(() => {
          store.insertWorkspace(workspace({ name: 'rolled-back' }));
          store.updateJob(j.id, { status: 'COMPLETE' });
          store.appendJobLogs(j.id, [{ time: 't', line: 'during' }]);
          store.insertApiToken(token('rolled-back'));
          store.insertJob(job({ id: 'rolled-back-job' }));
          store.deleteWorkspace(doomed.id);
          throw boom;
        }),
      ).toThrow(boom);
      expect(store.findWorkspaceByName('rolled-back')).toBeUndefined();
      expect(store.getWorkspace(doomed.id)).toEqual(doomed);
      expect(store.getJob(j.id)).toEqual(j);
      expect(store.readJobLogs(j.id, 0, 10).map((l) => l.line)).toEqual(['before']);
      expect(store.listApiTokens()).toEqual([]);
      expect(store.getJob('rolled-back-job')).toBeUndefined();
      expect(store.appendJobLogs(j.id, [{ time: 't', line: 'after' }])).toBe(2);
      store.transaction(() => store.insertWorkspace(workspace({ name: 'after' })));
      expect(store.findWorkspaceByName('after')).toBeDefined();
    });

    it('let a nested call join the outer one: its writes roll back with the outer', () => {
      expect(() =>
        store.transaction(() => {
          const inner = store.transaction(() => {
            store.insertWorkspace(workspace({ name: 'inner' }));
            return 'inner done';
          });
          expect(inner).toBe('inner done');
          expect(store.findWorkspaceByName('inner')).toBeDefined();
          throw new Error('outer fails');
        }),
      ).toThrow('outer fails');
      expect(store.findWorkspaceByName('inner')).toBeUndefined();
    });

    it('let a nested call join the outer one: a throw the outer catches undoes nothing by itself', () => {
      store.transaction(() => {
        store.insertWorkspace(workspace({ name: 'outer' }));
        try {
          store.transaction(() => {
            store.insertWorkspace(workspace({ name: 'inner' }));
            throw new Error('inner fails');
          });
        } catch {
          // the outer transaction decides
        }
      });
      expect(store.findWorkspaceByName('outer')).toBeDefined();
      expect(store.findWorkspaceByName('inner')).toBeDefined();
    });

    it('commit the other writes when a CONFLICT inside is caught', () => {
      store.insertWorkspace(workspace({ name: 'taken' }));
      store.transaction(() => {
        expect(() => store.insertWorkspace(workspace({ name: 'taken' }))).toThrow(
          expect.objectContaining({ code: 'CONFLICT' }),
        );
        store.insertWorkspace(workspace({ name: 'fresh' }));
      });
      expect(store.listWorkspaces(ALL).items.map((w) => w.name)).toEqual(['fresh', 'taken']);
    });

    it('refuse an async function, rolling its synchronous writes back', () => {
      expect(() =>
        store.transaction(async () => {
          store.insertWorkspace(workspace({ name: 'async' }));
        }),
      ).toThrow(TypeError);
      expect(store.findWorkspaceByName('async')).toBeUndefined();
    });
  });

  it('hands out copies: changing an object given or returned does not change the store', () => {
    const ws = workspace();
    store.insertWorkspace(ws);
    ws.branch = 'changed';
    const read = store.getWorkspace(ws.id) as Workspace;
    read.name = 'changed';
    (store.listWorkspaces(ALL).items[0] as Workspace).status = 'FAILED';
    expect(store.getWorkspace(ws.id)).toMatchObject({
      branch: 'main',
      name: ws.name,
      status: 'READY',
    });

    const j = job({ params: { list: [1] } });
    store.insertJob(j);
    (j.params.list as number[]).push(2);
    const got = store.getJob(j.id) as Job;
    (got.params.list as number[]).push(3);
    got.status = 'ERROR';
    (store.claimJob('w', T0 + 1e9, 1) as Job).params.extra = true;
    expect(store.getJob(j.id)).toMatchObject({ params: { list: [1] }, status: 'RUNNING' });

    const t = token('ci');
    store.insertApiToken(t);
    t.hash = 'changed';
    (store.listApiTokens()[0] as ApiToken).name = 'changed';
    expect(store.findApiTokenByHash('hash-ci')?.name).toBe('ci');

    store.appendJobLogs(j.id, [{ time: 't', line: 'original' }]);
    (store.readJobLogs(j.id, 0, 1)[0] as { line: string }).line = 'changed';
    expect(store.readJobLogs(j.id, 0, 1)[0]?.line).toBe('original');
  });

  it('refuses to work once closed, and closes twice without complaint', () => {
    store.insertWorkspace(workspace({ name: 'before' }));
    store.close();
    store.close();
    expect(() => store.findWorkspaceByName('before')).toThrow();
    expect(() => store.insertWorkspace(workspace())).toThrow();
  });
});
