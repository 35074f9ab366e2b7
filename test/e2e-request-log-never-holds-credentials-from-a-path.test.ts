import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPath } from '../app/http/redact-path.js';
import { type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const SECRET = 'ghp_token-in-a-request-path';

/**
 * A repository URL sent in a path (URL-encoded, as a `:repository` or by mistake) may carry
 * `user:token@`. The request log line names the path; the credential must not be in it
 * (DESIGN.md section 9: never log a token).
 */
describe('the request log never holds credentials from a path', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('logs the path of each request with the credential replaced', async () => {
    const urls = [
      `https://me:${SECRET}@github.com/acme/api.git`,
      `https://${SECRET}@github.com/acme/api.git`,
      `x-access-token:${SECRET}@github.com:acme/api.git`,
    ];
    const paths = [
      ...urls.map((u) => `/v1/task/deploy/${encodeURIComponent(u)}/tasks%2Fhello`),
      // Encoded the way curl users write it: only the slashes.
      `/v2/task/load/configuration/from-git/https:%2F%2Fme:${SECRET}@github.com%2Fa%2Fb/x`,
      `/apps/deploy-api/v1/pipeline/runas/${encodeURIComponent(urls[0] as string)}/p/run`,
      `/api/nothing/${encodeURIComponent(urls[0] as string)}`,
    ];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`, {
        method: path.includes('/load/') ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
    }
    const requests = await eventually(() => {
      const lines = server.logs().filter((l) => l.msg === 'request' && /\*\*\*/.test(`${l.path}`));
      return lines.length >= paths.length ? lines : undefined;
    }, 'the request log lines');
    expect(requests.map((l) => l.path)).toContain(
      '/v1/task/deploy/https%3A%2F%2F***%40github.com%2Facme%2Fapi.git/tasks%2Fhello',
    );
    expect(server.output.join('\n')).not.toContain(SECRET);
    expect(server.output.join('\n')).not.toContain(encodeURIComponent(SECRET));
  });

  it('leaves paths without credentials as they were', () => {
    for (const path of [
      '/api/jobs/4e1d0c47-2d73-4b4a-9b5d-3c2b0b0e9a11',
      '/v1/task/deploy/flows/tasks%2Fhello',
      '/api/tokens/dev@example.com',
      '/v1/task/deploy/ssh%3A%2F%2Fgit%40example.com%2Fa.git/x',
      '/bad/%E0%A4%A',
    ]) {
      expect(redactPath(path)).toBe(path);
    }
    expect(redactPath(`/x/https:%2F%2Fu:${SECRET}@h%2Fy%E0%A4%A/z`)).not.toContain(SECRET);
  });
});
