import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../core/store/group-commit.js';
import { createMemoryStore } from '../core/store/memory.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { countCommits } from './helpers/count-commits.js';

const stores: Store[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function counted(inner: Store): { store: Store; commits: () => number } {
  stores.push(inner);
  return countCommits(inner);
}

const backends: Array<[string, () => Store]> = [
  ['SQLite', () => openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'gc-')), 'x.db'))],
  ['memory', () => createMemoryStore()],
];

describe.each(backends)('group commit on the %s store', (_, open) => {
  it('commits the writes of one turn together and gives each caller its own result', async () => {
    const { store, commits } = counted(open());
    const group = new GroupCommit(store);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        group.run(() => {
          store.putRecord('tasks', `k${i}`, 'ns', { i });
          return i * 2;
        }),
      ),
    );
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(commits()).toBe(1);
    expect(store.listRecords<{ i: number }>('tasks').map((r) => r.i)).toHaveLength(10);
  });

  it('keeps the others when one write throws, and that caller alone gets the error', async () => {
    const { store } = counted(open());
    const group = new GroupCommit(store);
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c'].map((key) =>
        group.run(() => {
          store.putRecord('tasks', key, 'ns', { key });
          if (key === 'b') throw new Error('b cannot be written');
          return key;
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('b cannot be written');
    // Nothing of the failed write stays; the others committed.
    expect(store.getRecord('tasks', 'a')).toEqual({ key: 'a' });
    expect(store.getRecord('tasks', 'b')).toBeUndefined();
    expect(store.getRecord('tasks', 'c')).toEqual({ key: 'c' });
  });

  it('resolves a caller only after its write is in the store', async () => {
    const { store } = counted(open());
    const group = new GroupCommit(store);
    const pending = group.run(() => store.putRecord('tasks', 'late', 'ns', 1));
    expect(store.getRecord('tasks', 'late')).toBeUndefined();
    await pending;
    expect(store.getRecord('tasks', 'late')).toBe(1);
  });
});

describe('group commit and async context', () => {
  it("runs each write in its own caller's async context", async () => {
    const store = createMemoryStore();
    stores.push(store);
    const group = new GroupCommit(store);
    const context = new AsyncLocalStorage<string>();
    const seen = await Promise.all(
      ['first', 'second', 'third'].map((name) =>
        context.run(name, () => group.run(() => context.getStore())),
      ),
    );
    expect(seen).toEqual(['first', 'second', 'third']);
  });
});
