import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Auth, hashToken } from '../app/http/auth.js';
import { createMemoryStore } from '../core/store/index.js';
import { type Clock, isoTime } from '../core/types.js';

// GET /api/tokens shows when each token was last used. Keeping that to the millisecond made every
// authenticated read a database write; it is kept to the minute instead.

describe('an API token', () => {
  it('records its first use, then at most one use a minute', async () => {
    const store = createMemoryStore();
    let now = Date.UTC(2026, 0, 1);
    const clock: Clock = { now: () => now };
    const auth = new Auth({
      adminToken: 'admin-token-0123456789',
      store,
      clock,
      trustedPeers: new BlockList(),
    });
    const token = 'slw_ci-token-for-the-test';
    store.insertApiToken({
      id: 't1',
      name: 'ci',
      hash: hashToken(token),
      created: isoTime(now),
      lastUsed: null,
    });
    const lastUsed = () => store.findApiTokenByHash(hashToken(token))?.lastUsed;
    const first = now;

    expect(await auth.verifyToken(token)).toMatchObject({ subject: 'token:ci', method: 'token' });
    expect(lastUsed()).toBe(isoTime(first));

    now += 59_999;
    await auth.verifyToken(token);
    expect(lastUsed()).toBe(isoTime(first));

    now += 1;
    await auth.verifyToken(token);
    expect(lastUsed()).toBe(isoTime(first + 60_000));
  });
});
