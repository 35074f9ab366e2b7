import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../core/store/sqlite.js';
import { jobListQuery } from '../core/store/sqlite-schema.js';
import type { JobFilter, PageRequest } from '../core/store/types.js';

// Job lists run on every webhook (superseding), every metrics scrape and every list route, on
// tables of 100,000 jobs and more: each must find its rows through an index, never by reading
// the whole table. The statements checked are the ones the store runs (jobListQuery).

let dir = '';
let db: Database.Database;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-plans-'));
  const file = path.join(dir, 'slipway.db');
  openSqliteStore(file).close();
  db = new Database(file, { readonly: true });
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string, params: Record<string, unknown>): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map(
    (row) => row.detail,
  );
}

const firstPage: PageRequest = { offset: 0, limit: 20 };
const cases: Array<[string, JobFilter, PageRequest, number?]> = [
  ['every job, newest first', {}, firstPage],
  ['a deep page', {}, { offset: 80_000, limit: 20 }],
  ['a deep page, found from the far end', {}, { offset: 80_000, limit: 20 }, 100_000],
  ['by status (the queue depth gauge)', { status: ['QUEUED'] }, firstPage],
  ['by several statuses', { status: ['QUEUED', 'RUNNING'] }, firstPage],
  [
    'queued jobs of one target and type (superseding on each push)',
    { target: 'workspace:w1', type: 'WORKSPACE_DEPLOY', status: ['QUEUED'] },
    { offset: 0, limit: 1000 },
  ],
  ['by type and status (the jobs gauge)', { type: 'TASK_DEPLOY', status: ['ERROR'] }, firstPage],
  ['by workspace', { workspaceId: 'w1' }, firstPage],
  ['expired leases (the orphan sweep)', { leaseExpiredBefore: 1000 }, firstPage],
  [
    'oldest queued first',
    { status: ['QUEUED'] },
    { ...firstPage, sort: { field: 'created', direction: 'asc' } },
  ],
];

describe('job lists on SQLite', () => {
  it('counts lists filtered by status and type at most from the kept counts, others over jobs', () => {
    const countsFrom = (filter: JobFilter) =>
      /FROM (\w+)/.exec(jobListQuery(filter, firstPage).count)?.[1];
    expect(countsFrom({})).toBe('job_counts');
    expect(countsFrom({ status: ['QUEUED', 'RUNNING'] })).toBe('job_counts');
    expect(countsFrom({ type: 'TASK_DEPLOY', status: ['ERROR'] })).toBe('job_counts');
    expect(countsFrom({ workspaceId: 'w1' })).toBe('jobs');
    expect(countsFrom({ target: 't', status: ['QUEUED'] })).toBe('jobs');
    expect(countsFrom({ leaseExpiredBefore: 1000 })).toBe('jobs');
  });

  it('starts a deep page of all jobs at an anchor: a search of the created index, no scan', () => {
    const seek = (position: number) => ({
      created: '2026-01-01T00:00:00.000Z',
      start: position - 400,
    });
    const deep = jobListQuery({}, { offset: 50_000, limit: 20 }).page(100_000, seek);
    expect(deep.params).toMatchObject({ offset: 400, limit: 20 });
    const steps = plan(deep.sql, deep.params);
    expect(steps.join('\n')).toMatch(
      /SEARCH jobs USING COVERING INDEX jobs_created \(created>\?\)/,
    );
    expect(steps.filter((step) => step.startsWith('SCAN jobs'))).toEqual([]);
    // Filtered lists, shallow pages and other orders keep OFFSET: anchors count all jobs.
    const plain = (filter: JobFilter, page: PageRequest) =>
      jobListQuery(filter, page).page(100_000, seek).params.anchor;
    expect(plain({ status: ['COMPLETE'] }, { offset: 50_000, limit: 20 })).toBeUndefined();
    expect(plain({}, { offset: 100, limit: 20 })).toBeUndefined();
    expect(
      plain({}, { offset: 50_000, limit: 20, sort: { field: 'status', direction: 'asc' } }),
    ).toBeUndefined();
  });

  it.each(cases)('finds %s through an index, page and count', (_, filter, page, total) => {
    const query = jobListQuery(filter, page);
    const paged = query.page(total ?? Number.POSITIVE_INFINITY);
    for (const [sql, params] of [
      [paged.sql, paged.params],
      [query.count, query.params],
    ] as const) {
      const steps = plan(sql, params);
      if (sql.includes('FROM job_counts')) {
        // Counted from the counts the triggers keep (a row per type and status), not the jobs.
        expect(steps.join('\n')).not.toMatch(/\bjobs\b/);
        continue;
      }
      expect(steps.some((step) => /USING (COVERING )?INDEX|PRIMARY KEY/.test(step))).toBe(true);
      expect(steps.join('\n')).not.toMatch(/json_each/);
      // A filtered list searches an index; only an unfiltered one walks the newest-first index
      // (and stops after its page). A plain "SCAN jobs" reads every row.
      const scans = steps.filter((step) => step.startsWith('SCAN jobs'));
      if (Object.keys(filter).length > 0) expect(scans).toEqual([]);
      else expect(scans.every((step) => /INDEX jobs_created$/.test(step))).toBe(true);
    }
  });
});
