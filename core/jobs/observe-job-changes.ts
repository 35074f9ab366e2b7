import type { Store } from '../store/types.js';
import type { Job } from '../types.js';

/**
 * Sees a job right after a write gave it a status, or the commit it acts on, or right before it
 * is deleted with its log (`change` says which), inside the transaction that writes it.
 */
export type JobChangeListener = (job: Job, change: 'status' | 'commit' | 'deleting') => void;

/**
 * Wraps a store so that `listener` sees every job whose status a write set (a new job, a claim,
 * an update with `status`), every job a write gave its commit, and every job about to be
 * deleted (its log still there), inside the same transaction:
 * whatever the listener writes (an outbox entry) commits or rolls back with the job change
 * itself. Everything else passes through.
 *
 * @example
 * const store = observeJobChanges(openSqliteStore(file), (job) => outbox.record(job));
 */
export function observeJobChanges(store: Store, listener: JobChangeListener): Store {
  const observed: Partial<Store> = {
    insertJob(job) {
      store.transaction(() => {
        store.insertJob(job);
        listener(structuredClone(job), 'status');
      });
    },
    updateJob(id, patch, expect) {
      const change = patch.status !== undefined ? 'status' : patch.commitId ? 'commit' : undefined;
      if (change === undefined) return store.updateJob(id, patch, expect);
      return store.transaction(() => {
        const updated = store.updateJob(id, patch, expect);
        if (updated) listener(updated, change);
        return updated;
      });
    },
    deleteJob(id) {
      return store.transaction(() => {
        const job = store.getJob(id);
        if (job) listener(job, 'deleting');
        return store.deleteJob(id);
      });
    },
    claimJob(owner, now, leaseExpires) {
      return store.transaction(() => {
        const claimed = store.claimJob(owner, now, leaseExpires);
        if (claimed) listener(claimed, 'status');
        return claimed;
      });
    },
  };
  // Bound once per method, not on every call: the engine reaches the store through this.
  const bound = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property in observed) return observed[property as keyof Store];
      const known = bound.get(property);
      if (known) return known;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value.bind(target);
      bound.set(property, method);
      return method;
    },
  });
}
