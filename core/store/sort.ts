import { SlipwayError } from '../errors.js';
import type { PageRequest } from './types.js';

/**
 * The sort a page asks for, checked against the fields a collection may be sorted by; undefined
 * for the collection's default order. Both stores use it, so both refuse the same way.
 */
export function sortOf<K extends string>(
  page: PageRequest,
  collection: string,
  allowed: readonly K[],
): { field: K; direction: 'asc' | 'desc' } | undefined {
  if (!page.sort) return undefined;
  const field = allowed.find((name) => name === page.sort?.field);
  if (field === undefined) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `cannot sort ${collection} by '${page.sort.field}'; expected one of ${allowed.join(', ')}`,
      { details: { field: page.sort.field, allowed } },
    );
  }
  return { field, direction: page.sort.direction === 'desc' ? 'desc' : 'asc' };
}
