import { afterAll, beforeAll, expect, it } from 'vitest';
import { request, type ServerProcess, startServer } from './helpers/server.js';

/**
 * A body nested deeper than the stack goes (200,000 arrays in one another) parses, but quoting
 * it in the 400 overflowed the stack and answered 500. The 400 now says what it is.
 */
let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

it('answers a deeply nested value in a field with a 400 naming the field', async () => {
  const deep = `${'['.repeat(200_000)}1${']'.repeat(200_000)}`;
  const response = await request(
    `${server.url}/v2/task/get/template`,
    'POST',
    `{"template_path": ${deep}}`,
    { 'content-type': 'application/json' },
  );
  expect(response.status).toBe(400);
  expect(response.json.message).toContain('"template_path" is a deeply nested array');
  expect((await request(`${server.url}/healthz`, 'GET')).status).toBe(200);
});
