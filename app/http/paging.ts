import type { Context } from 'hono';
import { SlipwayError } from '../../core/errors.js';
import type { Page, PageRequest } from '../../core/store/types.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

/** Spring's paging query (`page` from 0, `size`, `sort=field,asc|desc`) as a store request. */
export function readPaging(
  c: Context,
  sortFields: readonly string[],
): PageRequest & { page: number; size: number } {
  const page = wholeNumber(c.req.query('page'), 'page', 0, 1_000_000, 0);
  const size = wholeNumber(c.req.query('size'), 'size', 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
  const sortText = c.req.query('sort');
  let sort: PageRequest['sort'];
  if (sortText !== undefined) {
    const [field = '', direction = 'asc', extra] = sortText.split(',').map((s) => s.trim());
    if (
      !sortFields.includes(field) ||
      !['asc', 'desc'].includes(direction.toLowerCase()) ||
      extra
    ) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `query "sort" is "${sortText}"; expected <field>[,asc|desc] with field one of ${sortFields.join(', ')}`,
      );
    }
    sort = { field, direction: direction.toLowerCase() as 'asc' | 'desc' };
  }
  return { page, size, offset: page * size, limit: size, ...(sort ? { sort } : {}) };
}

/** Spring's `page` object of a paged collection. */
export function pageInfo(page: Page<unknown>, request: { page: number; size: number }) {
  return {
    size: request.size,
    totalElements: page.total,
    totalPages: Math.ceil(page.total / request.size),
    number: request.page,
  };
}

/**
 * Spring HATEOAS's links of a page: `self` as asked (filters and sort kept), and `first`,
 * `prev`, `next` and `last` where there are such pages.
 */
export function pageLinks(
  c: Context,
  base: string,
  page: Page<unknown>,
  request: { page: number; size: number },
): Record<string, { href: string }> {
  const query = new URLSearchParams(new URL(c.req.url).search);
  const at = (number: number) => {
    query.set('page', String(number));
    query.set('size', String(request.size));
    return { href: `${base}${c.req.path}?${query}` };
  };
  const last = Math.max(0, pageInfo(page, request).totalPages - 1);
  return {
    ...(request.page > 0 ? { first: at(0), prev: at(Math.min(request.page, last + 1) - 1) } : {}),
    self: at(request.page),
    ...(request.page < last ? { next: at(request.page + 1), last: at(last) } : {}),
  };
}

/** A query parameter that must be a whole number in [min, max]; `fallback` when absent. */
export function wholeNumber(
  text: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `query "${name}" is "${text}"; expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** The longest a request may be held for a job's next log line. */
const MAX_WAIT_SECONDS = 30;

/**
 * Query `wait`: how many seconds a request for a job's log may be held while there is no new
 * line and the job runs; 0 (the default) answers at once.
 */
export function waitSeconds(text: string | undefined): number {
  return wholeNumber(text, 'wait', 0, MAX_WAIT_SECONDS, 0);
}
