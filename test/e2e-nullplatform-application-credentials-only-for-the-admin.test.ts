import { afterAll, beforeAll, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

/**
 * An application's `repository_url` may carry a token (`https://user:token@host/...`). An
 * application has no owner, so only the admin reads it back whole; anyone else who may call the
 * API sees `***` in its place, in the application, its list and the answer to its creation.
 */
let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const URL_WITH_TOKEN = 'https://deploy:s3cr3tTOKEN@git.example.com/acme/shop.git';
const MASKED = 'https://***@git.example.com/acme/shop.git';

it('shows the credentials of a repository_url to the admin only', async () => {
  const alice = { Identity: 'alice@example.com' };
  const created = await request(
    `${server.url}/application`,
    'POST',
    { name: 'leaky', repository_url: URL_WITH_TOKEN },
    alice,
  );
  expect(created.status, created.text).toBe(201);
  expect(created.json.repository_url).toBe(MASKED);

  const id = created.json.id;
  for (const route of [`/application/${id}`, '/application?name=leaky']) {
    const seen = await request(`${server.url}${route}`, 'GET', undefined, alice);
    expect(seen.text).not.toContain('s3cr3tTOKEN');
    expect(seen.text).toContain(MASKED);
    const admin = await server.api('GET', route);
    expect(admin.text).toContain(URL_WITH_TOKEN);
  }
});
