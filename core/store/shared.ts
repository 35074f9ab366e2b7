import { SlipwayError } from '../errors.js';
import type { Job } from '../types.js';
import type { JobFilter, PageRequest } from './types.js';

/** The field a page is sorted by: the requested one if allowed, else `fallback`. */
export function sortFieldOf(
  page: PageRequest,
  allowed: readonly string[],
  fallback: string,
): string {
  if (!page.sort) return fallback;
  if (!allowed.includes(page.sort.field)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `cannot sort by "${page.sort.field}"; expected one of ${allowed.join(', ')}`,
    );
  }
  return page.sort.field;
}

/**
 * A comparator on `key` (nulls first, as SQLite orders them ascending) with `tie` breaking ties;
 * `desc` reverses both, as `ORDER BY key DESC, tie DESC` does.
 */
export function compareBy<T>(
  key: (item: T) => string | number | null,
  direction: 'asc' | 'desc',
  tie: (item: T) => string | number,
): (a: T, b: T) => number {
  const sign = direction === 'asc' ? 1 : -1;
  return (a, b) => sign * (compareValues(key(a), key(b)) || compareValues(tie(a), tie(b)));
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Whether a job passes every condition of the filter. */
export function jobMatches(job: Job, filter: JobFilter): boolean {
  if (filter.workspaceId !== undefined && job.workspaceId !== filter.workspaceId) return false;
  if (filter.status && !filter.status.includes(job.status)) return false;
  if (filter.type !== undefined && job.type !== filter.type) return false;
  if (filter.target !== undefined && job.target !== filter.target) return false;
  if (filter.leaseExpiredBefore !== undefined) {
    if (
      job.status !== 'RUNNING' ||
      job.leaseExpires === null ||
      job.leaseExpires >= filter.leaseExpiredBefore
    ) {
      return false;
    }
  }
  return true;
}

/**
 * The job `claimJob` takes from jobs in claim order (oldest first): QUEUED, due, and of a target
 * with no RUNNING job.
 */
export function nextClaimable(ordered: Job[], now: number): Job | undefined {
  const busy = new Set(ordered.filter((job) => job.status === 'RUNNING').map((job) => job.target));
  return ordered.find(
    (job) => job.status === 'QUEUED' && job.runAfter <= now && !busy.has(job.target),
  );
}
