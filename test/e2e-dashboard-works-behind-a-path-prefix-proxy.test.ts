import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const PREFIX = '/slipway';

/**
 * A reverse proxy serving Slipway under `/slipway/`, as an ingress with a rewrite does: it takes
 * the prefix off, says it in `X-Forwarded-Prefix`, and answers 404 for any other path. It keeps
 * each path the browser asked for.
 */
async function prefixProxy(
  target: string,
): Promise<{ url: string; asked: string[]; close(): void }> {
  const asked: string[] = [];
  const upstream = new URL(target);
  const proxy = http.createServer((req, res) => {
    const url = req.url ?? '/';
    asked.push(url);
    if (url !== PREFIX && !url.startsWith(`${PREFIX}/`) && !url.startsWith(`${PREFIX}?`)) {
      res.writeHead(404).end('not behind the prefix');
      return;
    }
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: url.slice(PREFIX.length) || '/',
        headers: { ...req.headers, 'x-forwarded-prefix': PREFIX },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => {
      proxy.closeAllConnections();
      proxy.close();
    },
  };
}

describe.skipIf(!existsSync(CHROMIUM))(
  'the dashboard behind a proxy that serves it under a path',
  () => {
    let server: ServerProcess;
    let repo: TestRepo;
    let proxy: Awaited<ReturnType<typeof prefixProxy>>;
    let browser: Browser;
    let page: Page;
    const marker = path.join(os.tmpdir(), `slipway-prefix-${process.pid}.log`);

    beforeAll(async () => {
      repo = createRepo(slowJob('slow', marker, 3000));
      server = await startServer();
      proxy = await prefixProxy(server.url);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      proxy?.close();
      await server?.stop();
      repo?.cleanup();
      rmSync(marker, { force: true });
    });

    it('signs in, follows a job live, goes back and signs out, all under the prefix', async () => {
      const base = `${proxy.url}${PREFIX}`;
      const anonymous = await fetch(`${base}/`, { redirect: 'manual' });
      expect(anonymous.headers.get('location')).toBe(`${PREFIX}/login`);

      await page.goto(`${base}/`);
      await page.waitForURL(`${base}/login`);
      await page.getByLabel('API token').fill(server.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/`);
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: 'slipway_session', path: `${PREFIX}/` });

      const workspace = await server.api('POST', '/api/workspaces', {
        name: 'prefixed',
        repositoryUrl: repo.dir,
      });
      const deploy = await server.api('POST', `/api/workspaces/${workspace.json.id}/deployments`);
      const jobId: string = deploy.json.id;
      // The overview's live script finds the new job through the proxy.
      const row = page.locator(`#jobs tr[data-job-id="${jobId}"]`);
      await row.waitFor({ timeout: 10_000 });
      await row.getByRole('link').click();
      await page.waitForURL(`${base}/jobs/${jobId}`);
      // The job page's script follows the log until the deploy completes.
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
        .toBe('COMPLETE');
      expect(await page.locator('#log').textContent()).toContain('finished');

      await page.getByRole('link', { name: '← Overview' }).click();
      await page.waitForURL(`${base}/`);
      // A session from when the dashboard was at the host's root goes at sign-out too.
      await page
        .context()
        .addCookies([{ name: 'slipway_session', value: server.adminToken, url: `${proxy.url}/` }]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${base}/login`);
      expect(await page.context().cookies()).toEqual([]);

      await page.goto(`${base}/`);
      await page.waitForURL(`${base}/login`);

      // A proxy's host that makes no URL is left out of links, not a 500.
      const odd = await fetch(`${server.url}/login`, {
        headers: { 'x-forwarded-host': 'a:b:c', 'x-forwarded-prefix': PREFIX },
      });
      expect(odd.status).toBe(200);
      expect(await odd.text()).toContain(`<base href="${PREFIX}/"/>`);

      // The browser never asked for a path outside the prefix (each would have been a 404).
      expect(proxy.asked.filter((url) => !url.startsWith(PREFIX))).toEqual([]);
    });
  },
);
