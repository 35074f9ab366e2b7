import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/**
 * A page of a job's log is at most 10,000 lines, and also at most 4 MiB of text: a task that
 * printed long lines (each kept up to 64 KB) would otherwise make the log link build a page of
 * hundreds of megabytes, in memory, and fail with a 500. `X-Next-Sequence` says where the next
 * page starts, and following it gives every line once, in order.
 */
let server: ServerProcess;
let repo: TestRepo;
const LINES = 200;
const WIDTH = 60_000;
beforeAll(async () => {
  const script = `const w=process.stdout;let i=0;(function more(){while(i<${LINES}){if(!w.write(String(i++).padStart(5,'0')+'q'.repeat(${WIDTH})+'\\n'))return w.once('drain',more)}})()`;
  repo = createRepo({
    'tasks/wide/manifest.json': manifest({
      name: 'wide',
      type: 'job',
      cmd: ['node', '-e', script],
    }),
  });
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

it('answers pages of at most 4 MiB that together hold every line once', async () => {
  const ws = await server.api('POST', '/api/workspaces', { name: 'wide', repositoryUrl: repo.dir });
  const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
  expect((await waitForJob(server, queued.json.id)).status).toBe('COMPLETE');

  const auth = { authorization: `Bearer ${server.adminToken}` };
  const seen: string[] = [];
  let sequence = 0;
  let pages = 0;
  for (;;) {
    const page = await request(
      `${server.url}/api/jobs/${queued.json.id}/logs?sequence=${sequence}`,
      'GET',
      undefined,
      auth,
    );
    if (page.status === 204) break;
    expect(page.status).toBe(200);
    expect(page.text.length).toBeLessThanOrEqual(4 * 1024 * 1024 + 10_000);
    seen.push(...page.text.split('\n').filter((l) => l.includes('qqqq')));
    sequence = Number(page.headers.get('x-next-sequence'));
    pages += 1;
  }
  expect(pages).toBeGreaterThanOrEqual(3);
  const numbers = seen.map((l) => Number(/\] (\d{5})q/.exec(l)?.[1]));
  expect(numbers).toEqual(Array.from({ length: LINES }, (_, i) => i));
});
