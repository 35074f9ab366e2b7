import type { Store } from '../../core/store/types.js';

/**
 * `inner` as it is, but counting the transactions it commits (the outermost ones): how tests see
 * that a burst of writes shared a commit.
 */
export function countCommits(inner: Store): { store: Store; commits: () => number } {
  let commits = 0;
  let depth = 0;
  return {
    store: {
      ...inner,
      transaction<T>(fn: () => T): T {
        depth += 1;
        try {
          const result = inner.transaction(fn);
          if (depth === 1) commits += 1;
          return result;
        } finally {
          depth -= 1;
        }
      },
    },
    commits: () => commits,
  };
}
