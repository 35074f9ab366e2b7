import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { SlipwayError } from '../../core/errors.js';
import type { Store } from '../../core/store/types.js';
import { type ApiToken, type Clock, isoTime, type Logger } from '../../core/types.js';
import { type AuthVariables, generateToken, hashToken, requireAdmin } from './auth.js';
import { springErrorHandler } from './errors.js';
import { parseWith, readJson } from './validate.js';

export const createTokenSchema = z.strictObject({
  name: z
    .string({ error: 'expected a string' })
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "expected 1-64 letters, digits, '.', '_' or '-'" }),
});

/**
 * API tokens (DESIGN.md section 9), managed by the admin: the token is shown once at creation;
 * only its SHA-256 hash is stored.
 */
export function createTokensApp({
  store,
  clock,
  logger,
}: {
  store: Store;
  clock: Clock;
  logger: Logger;
}) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.onError(springErrorHandler(logger));

  /** Create a token `{name}`: 201 `{id, name, created, token}`; the token is never shown again. */
  app.post('/api/tokens', async (c) => {
    await requireAdmin(c);
    const { name } = parseWith(createTokenSchema, await readJson(c), 'request body');
    // What a token creates is owned by `token:<name>`: a second token of a revoked one's name
    // would own its workspaces, read their secrets and change them.
    if (store.getRecord('retired-token-names', name)) {
      throw new SlipwayError(
        'CONFLICT',
        `API token name '${name}' belonged to a revoked token; names are not given twice, so that a new token never owns what the old one did: choose another name`,
      );
    }
    const token = generateToken();
    const record: ApiToken = {
      id: randomUUID(),
      name,
      hash: hashToken(token),
      created: isoTime(clock.now()),
      lastUsed: null,
    };
    store.insertApiToken(record);
    logger.info({ tokenName: name }, 'API token created');
    return c.json({ ...publicToken(record), token }, 201);
  });

  app.get('/api/tokens', async (c) => {
    await requireAdmin(c);
    return c.json({ tokens: store.listApiTokens().map(publicToken) });
  });

  app.delete('/api/tokens/:id', async (c) => {
    await requireAdmin(c);
    const id = c.req.param('id');
    store.transaction(() => {
      const revoked = store.listApiTokens().find((t) => t.id === id);
      if (!revoked || !store.deleteApiToken(id))
        throw new SlipwayError('NOT_FOUND', `token '${id}' does not exist`);
      store.putRecord('retired-token-names', revoked.name, '', {
        name: revoked.name,
        revoked: isoTime(clock.now()),
      });
    });
    return c.body(null, 204);
  });

  return app;
}

function publicToken(token: ApiToken) {
  return { id: token.id, name: token.name, created: token.created, lastUsed: token.lastUsed };
}
