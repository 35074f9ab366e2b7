import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../core/store/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { PageRequest, Store } from '../core/store/types.js';
import { isoTime, type Job } from '../core/types.js';
import { testJob } from './helpers/jobs.js';

// Deep pages of the list of all jobs start at anchors (page-anchors.ts) that count jobs from the
// oldest one. Every change that moves them (a job created before them, a deleted job, a write
// rolled back) must leave each page exactly what OFFSET over the whole list gives: the memory
// store, the contract's reference, gets the same writes and answers every page beside SQLite.

const T0 = Date.UTC(2026, 0, 1);
let counter = 0;

function job(createdMs: number): Job {
  counter += 1;
  return testJob({
    id: `job-${String(counter).padStart(6, '0')}`,
    created: isoTime(createdMs),
    type: 'TASK_DEPLOY',
    status: 'COMPLETE',
    exitCode: 0,
    target: `task:t${counter}`,
    updated: isoTime(createdMs),
  });
}

let dir = '';
let file = '';
let sqlite: Store;
const memory = createMemoryStore();
const both = (write: (store: Store) => void) => {
  write(sqlite);
  write(memory);
};
/** Inserts `jobs` into both stores, in one transaction each. */
const insertAll = (jobs: Job[]) =>
  both((store) =>
    store.transaction(() => {
      for (const j of jobs) store.insertJob(j);
    }),
  );

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-anchors-'));
  file = path.join(dir, 'slipway.db');
  sqlite = openSqliteStore(file);
  // 6,000 jobs: three to a millisecond, then 1,500 in one millisecond (more than the spacing of
  // the anchors), then one a millisecond again.
  const jobs: Job[] = [];
  for (let i = 0; i < 3000; i++) jobs.push(job(T0 + Math.floor(i / 3)));
  for (let i = 0; i < 1500; i++) jobs.push(job(T0 + 5_000));
  for (let i = 0; i < 1500; i++) jobs.push(job(T0 + 6_000 + i));
  insertAll(jobs);
});
afterAll(() => {
  sqlite?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (store: Store, page: PageRequest) => {
  const { items, total } = store.listJobs({}, page);
  return { total, ids: items.map((j) => j.id) };
};

/** Pages from first to last and deep between, both ways, of sizes that cross the anchors. */
function expectEveryPageToMatch(): void {
  const total = memory.listJobs({}, { offset: 0, limit: 0 }).total;
  const offsets = [0, 1, 1999, 2000, 2001, 2500, 2999, 3000, 3333, 4000, 4499, 4500, 5001];
  offsets.push(total - 1500, total - 1000, total - 21, total - 20, total - 1, total, total + 5);
  for (const direction of ['desc', 'asc'] as const) {
    for (const limit of [1, 20, 250]) {
      for (const offset of offsets) {
        const page: PageRequest = { offset, limit, sort: { field: 'created', direction } };
        expect(ids(sqlite, page), `${direction} offset ${offset} limit ${limit}`).toEqual(
          ids(memory, page),
        );
      }
    }
  }
  // The default order is newest first.
  const deep = { offset: 3500, limit: 20 };
  expect(ids(sqlite, deep)).toEqual(ids(memory, deep));
}

describe('deep pages of all jobs on SQLite', () => {
  it('match OFFSET over the whole list, in both orders, through duplicate instants', () => {
    expectEveryPageToMatch();
  });

  it('still match after newer jobs join the list', () => {
    const newer = Array.from({ length: 1200 }, (_, i) => job(T0 + 9_000 + i));
    insertAll(newer);
    expectEveryPageToMatch();
  });

  it('still match after a job created before the anchors joins, alone or in a batch', () => {
    const older = job(T0 + 2);
    both((store) => store.insertJob(older));
    expectEveryPageToMatch();
    const amid = [job(T0 + 4_000), job(T0 + 9_500), job(T0 + 5_000)];
    insertAll(amid);
    expectEveryPageToMatch();
  });

  it('still match after jobs are deleted, the oldest and one in the middle', () => {
    const victims = ids(memory, {
      offset: 0,
      limit: 1,
      sort: { field: 'created', direction: 'asc' },
    }).ids;
    victims.push(...ids(memory, { offset: 3100, limit: 2 }).ids);
    for (const id of victims) both((store) => expect(store.deleteJob(id)).toBe(true));
    expectEveryPageToMatch();
  });

  it('still match after a transaction that added jobs and read deep pages is rolled back', () => {
    // One before every anchor, one after them all: built with the first counted, anchors would
    // all be one off once it is taken back.
    const rolledBack = [job(T0 + 1), job(T0 + 20_000)];
    expect(() =>
      sqlite.transaction(() => {
        for (const j of rolledBack) sqlite.insertJob(j);
        // Read inside the transaction: the page sees the uncommitted jobs.
        const inside = sqlite.listJobs({}, { offset: 4000, limit: 20 });
        expect(inside.total).toBe(memory.listJobs({}, { offset: 0, limit: 0 }).total + 2);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expectEveryPageToMatch();
  });

  it('still match after a transaction that deleted a job is rolled back', () => {
    const [oldest] = ids(memory, {
      offset: 0,
      limit: 1,
      sort: { field: 'created', direction: 'asc' },
    }).ids;
    expect(() =>
      sqlite.transaction(() => {
        expect(sqlite.deleteJob(oldest as string)).toBe(true);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(sqlite.getJob(oldest as string)).toBeDefined();
    expectEveryPageToMatch();
  });

  it('still match after another connection to the database adds and deletes jobs', () => {
    expectEveryPageToMatch();
    const other = openSqliteStore(file);
    try {
      const [oldest] = ids(memory, {
        offset: 0,
        limit: 1,
        sort: { field: 'created', direction: 'asc' },
      }).ids;
      const older = [job(T0 + 3), job(T0 + 4)];
      for (const store of [other, memory]) {
        expect(store.deleteJob(oldest as string)).toBe(true);
        for (const j of older) store.insertJob(j);
      }
    } finally {
      other.close();
    }
    expectEveryPageToMatch();
  });
});
