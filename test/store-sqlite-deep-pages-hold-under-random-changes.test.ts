import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../core/store/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { PageRequest, Store } from '../core/store/types.js';
import { isoTime, type Job } from '../core/types.js';
import { testJob } from './helpers/jobs.js';

// The anchors behind deep pages (page-anchors.ts) change with every job added out of order, every
// deletion and every rollback. Random runs of those changes, with deep pages read between them,
// must leave each page what the memory store (the contract's reference) answers.

const T0 = Date.UTC(2026, 0, 1);
const BASE = 6000;

/**
 * When an added job was created: anywhere in the list, often at the very instant of an anchor
 * (every 1,000th job falls on a multiple of 400 ms here), where off-by-one slips would hide.
 */
const instant = fc.oneof(
  fc.integer({ min: 0, max: 2500 }),
  fc.integer({ min: 0, max: 6 }).map((k) => k * 400),
);

type Change =
  | { kind: 'add'; at: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'rolled back'; at: number; pick: number }
  | { kind: 'read'; offset: number; limit: number; asc: boolean };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), at: instant }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('rolled back' as const),
    at: instant,
    pick: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    offset: fc.integer({ min: 0, max: BASE + 50 }),
    limit: fc.integer({ min: 1, max: 60 }),
    asc: fc.boolean(),
  }),
);

describe('deep pages of all jobs on SQLite', () => {
  it('match the memory store through random additions, deletions and rollbacks', () => {
    let counter = 0;
    // Instants 2.5 jobs apart on average, so that many jobs share one.
    const job = (at: number): Job => {
      counter += 1;
      const created = isoTime(T0 + at);
      return testJob({ id: `j${String(counter).padStart(7, '0')}`, created, updated: created });
    };
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 25 }), (changes) => {
        const sqlite = openSqliteStore(':memory:');
        const memory = createMemoryStore();
        const stores: Store[] = [sqlite, memory];
        try {
          const base = Array.from({ length: BASE }, (_, i) => job(Math.floor(i / 2.5)));
          for (const store of stores) {
            store.transaction(() => {
              for (const j of base) store.insertJob(j);
            });
          }
          const live = base.map((j) => j.id);
          const page = (store: Store, request: PageRequest) => {
            const { items, total } = store.listJobs({}, request);
            return { total, ids: items.map((j) => j.id) };
          };
          const readAll = () => {
            // Reads that build anchors across the whole list, and check them.
            for (const offset of [BASE / 2, 2100, live.length - 2100]) {
              const request = { offset, limit: 20 };
              expect(page(sqlite, request)).toEqual(page(memory, request));
            }
          };
          readAll();
          for (const step of changes) {
            if (step.kind === 'add') {
              const added = job(step.at);
              for (const store of stores) store.insertJob(added);
              live.push(added.id);
            } else if (step.kind === 'delete' && live.length > 0) {
              const [id] = live.splice(step.pick % live.length, 1);
              for (const store of stores) expect(store.deleteJob(id as string)).toBe(true);
            } else if (step.kind === 'rolled back') {
              const victim = live[step.pick % live.length] as string;
              expect(() =>
                sqlite.transaction(() => {
                  sqlite.insertJob(job(step.at));
                  sqlite.deleteJob(victim);
                  sqlite.listJobs({}, { offset: 2500, limit: 5 });
                  throw new Error('roll back');
                }),
              ).toThrow('roll back');
            } else if (step.kind === 'read') {
              const request: PageRequest = {
                offset: step.offset,
                limit: step.limit,
                sort: { field: 'created', direction: step.asc ? 'asc' : 'desc' },
              };
              expect(page(sqlite, request)).toEqual(page(memory, request));
            }
          }
          readAll();
        } finally {
          sqlite.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
