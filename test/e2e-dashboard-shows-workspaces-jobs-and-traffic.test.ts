import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionScope, serviceFiles } from './fixtures/np-service.js';
import { helloJob, slowJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
/** A log line that would run script or add elements if the dashboard did not escape it. */
const MARKUP = '<img src=x onerror="document.title=1"> & <b>bold</b>';
if (!haveChromium) {
  console.warn(`skipping the dashboard end-to-end test: ${CHROMIUM} is missing (CI installs it)`);
}

/** The pixels of an 8-bit RGB or RGBA PNG, as Chromium writes screenshots. */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  pixels: Buffer;
  channels: number;
} {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8], 'bit depth').toBe(8);
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      expect(channels, `color type ${body[9]}`).toBeGreaterThan(0);
      expect(body[12], 'interlace').toBe(0);
    } else if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] as number;
      const left = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const upLeft =
        x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      const p = left + up - upLeft;
      const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
      const paeth = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter as number] as number;
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, pixels, channels };
}

/** Distinct colors, and how many pixels are close to `rgb`. */
function colorsOf(png: Buffer, rgb: [number, number, number]) {
  const { width, height, pixels, channels } = decodePng(png);
  const distinct = new Set<number>();
  let near = 0;
  for (let i = 0; i < width * height * channels; i += channels) {
    const [r, g, b] = [pixels[i] as number, pixels[i + 1] as number, pixels[i + 2] as number];
    distinct.add((r << 16) | (g << 8) | b);
    if (Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2]) < 30) near++;
  }
  return { width, height, distinct: distinct.size, near };
}

describe.skipIf(!haveChromium)('the web dashboard in a real browser', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let serviceRepo: TestRepo;
  let browser: Browser;
  let page: Page;
  let workspace: Json;
  const marker = path.join(os.tmpdir(), `slipway-dashboard-${process.pid}.log`);

  beforeAll(async () => {
    repo = createRepo({
      ...helloJob(),
      ...helloJob('markup', MARKUP),
      ...slowJob('slow', marker, 4000),
    });
    serviceRepo = createRepo(serviceFiles());
    server = await startServer();
    workspace = (
      await server.api('POST', '/api/workspaces', {
        name: 'storefront',
        repositoryUrl: repo.dir,
        branch: 'main',
      })
    ).json;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    repo?.cleanup();
    serviceRepo?.cleanup();
    rmSync(marker, { force: true });
  });

  it('refuses a bad token with the error, and sends a visitor without a session to /login', async () => {
    const anonymous = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login');
    await page.goto(`${server.url}/jobs/anything`);
    expect(new URL(page.url()).pathname).toBe('/login');

    await page.getByLabel('API token').fill('slw_not-a-real-token');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(refused.status()).toBe(401);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
    expect(await page.context().cookies()).toEqual([]);
  });

  it('signs in, lists the workspace and its deploy, and follows a running job live to COMPLETE', async () => {
    const deploy = await server.api('POST', `/api/workspaces/${workspace.id}/deployments`);
    expect(deploy.status).toBe(202);
    const jobId: string = deploy.json.id;

    await page.goto(`${server.url}/login`);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({
      name: 'slipway_session',
      httpOnly: true,
      sameSite: 'Strict',
      secure: false,
    });

    const workspaceRow = page.locator(`#workspaces tr[data-workspace-id="${workspace.id}"]`);
    expect(await workspaceRow.textContent()).toContain('storefront');
    expect(await workspaceRow.textContent()).toContain(repo.dir);
    const row = page.locator(`#jobs tr[data-job-id="${jobId}"]`);
    expect(await row.textContent()).toContain('WORKSPACE_DEPLOY');
    expect(['QUEUED', 'RUNNING']).toContain(await row.getAttribute('data-status'));

    await row.getByRole('link').click();
    await page.waitForURL(`${server.url}/jobs/${jobId}`);
    // A marker on the window survives only as long as the page is not reloaded.
    await page.evaluate('window.notReloaded = true');
    expect(['QUEUED', 'RUNNING']).toContain(await page.locator('#status').textContent());
    const before = (await page.locator('#log').textContent()) ?? '';
    await expect
      .poll(() => page.locator('#log').textContent(), { timeout: 20_000 })
      .toContain('working');
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toBe('COMPLETE');
    const log = (await page.locator('#log').textContent()) ?? '';
    expect(log).toContain('hello from slipway');
    expect(log).toContain('finished');
    expect(log.indexOf('working')).toBeLessThan(log.indexOf('finished'));
    expect(log.length).toBeGreaterThan(before.length);
    expect(log.startsWith(before)).toBe(true);
    expect(log).toContain(MARKUP);
    expect(await page.locator('#log img, #log b').count()).toBe(0);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.locator('#status').getAttribute('class')).toContain('b-green');
    expect((await waitForJob(server, jobId)).status).toBe('COMPLETE');
  }, 90_000);

  it('adds and completes a new job in the overview without a reload, and the table renders', async () => {
    await page.goto(`${server.url}/`);
    await page.evaluate('window.notReloaded = true');
    repo.commit(slowJob('slow', marker, 2500));
    const deploy = await server.api('POST', `/api/workspaces/${workspace.id}/deployments`);
    const row = page.locator(`#jobs tr[data-job-id="${deploy.json.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('COMPLETE');
    expect(await row.locator('[data-badge]').textContent()).toBe('COMPLETE');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.locator('#jobs tbody tr').count()).toBe(2);

    const whole = colorsOf(await page.screenshot({ fullPage: true }), [26, 127, 55]);
    expect(whole.width).toBe(1280);
    expect(whole.distinct).toBeGreaterThan(2);
    // Two COMPLETE badges, drawn in green (#1a7f37) inside the jobs table.
    const table = colorsOf(await page.locator('#jobs').screenshot(), [26, 127, 55]);
    expect(table.width).toBeGreaterThan(600);
    expect(table.height).toBeGreaterThan(60);
    expect(table.distinct).toBeGreaterThan(2);
    expect(table.near).toBeGreaterThan(200);
  }, 60_000);

  it('shows a blue-green candidate on its scope with the traffic split, 70 % | 30 %', async () => {
    const application = (
      await server.api('POST', '/application', { name: 'shop', repository_url: serviceRepo.dir })
    ).json;
    const release = async (semver: string, commit: string) => {
      const build = await server.api('POST', '/build', {
        application_id: application.id,
        commit: { id: commit },
        branch: 'main',
        status: 'successful',
      });
      await server.api('POST', `/build/${build.json.id}/asset`, {
        name: 'api',
        type: 'directory',
        url: 'svc',
      });
      const created = await server.api('POST', '/release', {
        status: 'active',
        build_id: build.json.id,
        application_id: application.id,
        semver,
      });
      expect(created.status, created.text).toBe(201);
      return created.json;
    };
    const deployment = async (releaseId: number, status: string) => {
      const created = await server.api('POST', '/deployment', {
        scope_id: scope.id,
        release_id: releaseId,
      });
      expect(created.status, created.text).toBe(201);
      return eventually(
        async () => {
          const d = (await server.api('GET', `/deployment/${created.json.id}`)).json;
          if (d.status === 'failed') throw new Error(JSON.stringify(d));
          return d.status === status ? d : undefined;
        },
        `deployment ${created.json.id} to be ${status}`,
        40_000,
      );
    };
    const first = await release('1.0.0', serviceRepo.head());
    const scope = (await server.api('POST', '/scope', productionScope(application.id))).json;
    await deployment(first.id, 'finalized');
    const second = await release('1.1.0', serviceRepo.commit({ 'svc/CHANGELOG': '1.1.0\n' }));
    const candidate = await deployment(second.id, 'running');
    const patched = await server.api('PATCH', `/deployment/${candidate.id}`, {
      strategy_data: { desired_switched_traffic: 30 },
    });
    expect(patched.status).toBe(204);
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${candidate.id}`)).json.strategy_data
          .switched_traffic === 30 || undefined,
      'traffic at 30 %',
    );

    await page.goto(`${server.url}/`);
    const row = page.locator(`#scopes tr[data-scope-id="${scope.id}"]`);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Production');
    expect(text).toContain('shop');
    expect(text).toContain('running');
    const bar = row.locator('.bar');
    expect(await bar.getAttribute('data-traffic')).toBe('70 % 1.0.0 | 30 % 1.1.0');
    const active = await bar.locator('.active').boundingBox();
    const next = await bar.locator('.candidate').boundingBox();
    expect(await bar.locator('.active').textContent()).toBe('70 % 1.0.0');
    expect(await bar.locator('.candidate').textContent()).toBe('30 % 1.1.0');
    expect((active?.width ?? 0) / ((active?.width ?? 0) + (next?.width ?? 1))).toBeCloseTo(0.7, 1);
  }, 120_000);
  it('links a workspace whose deploy failed to that deploy, and keeps its message line by line', async () => {
    const broken = createRepo({
      'tasks/bad/manifest.json': '{ "name": "bad", "type": "cronjob" }\n',
    });
    try {
      const ws = (
        await server.api('POST', '/api/workspaces', { name: 'broken', repositoryUrl: broken.dir })
      ).json;
      const deploy = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
      const failed = await waitForJob(server, deploy.json.id);
      expect(failed.status).toBe('ERROR');
      await page.goto(`${server.url}/`);
      const row = page.locator(`#workspaces tr[data-workspace-id="${ws.id}"]`);
      expect(await row.textContent()).not.toContain('never deployed');
      const link = row.locator('.pending-deploy a');
      // Relative to the page's <base>: the dashboard's root, with a proxy's path prefix if any.
      expect(await link.evaluate((a) => (a as unknown as { href: string }).href)).toBe(
        `${server.url}/jobs/${failed.id}`,
      );
      expect(await link.locator('[data-badge]').textContent()).toBe('ERROR');
      await link.click();
      await page.waitForURL(`${server.url}/jobs/${failed.id}`);
      // Run in the page (a string: this file's types know no DOM).
      const whiteSpace = await page.evaluate(
        "getComputedStyle(document.getElementById('message')).whiteSpace",
      );
      expect(whiteSpace).toBe('pre-wrap');
    } finally {
      broken.cleanup();
    }
  }, 60_000);
  it('pages back to older jobs, and forward again', async () => {
    // Queued plans of one workspace replace each other: cheap jobs, each kept.
    for (let i = 0; i < 26; i++) {
      await server.api('POST', `/api/workspaces/${workspace.id}/deployments?plan=true`);
    }
    await page.goto(`${server.url}/`);
    expect(await page.locator('#jobs tbody tr').count()).toBe(25);
    await page.getByRole('link', { name: 'Older jobs' }).click();
    await page.waitForURL(`${server.url}/?page=1`);
    expect(await page.locator('#jobs-title').textContent()).toBe('Jobs, page 2');
    expect(await page.locator('#jobs tbody tr').count()).toBeGreaterThan(0);
    const newest = await page.locator('#jobs tbody tr').first().getAttribute('data-job-id');
    await page.getByRole('link', { name: 'Newer jobs' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.locator('#jobs tbody tr').count()).toBe(25);
    expect(await page.locator(`#jobs tr[data-job-id="${newest}"]`).count()).toBe(0);
  }, 60_000);
});
