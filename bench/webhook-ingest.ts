import { generateKeyPairSync } from 'node:crypto';
import { BlockList } from 'node:net';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { Hono } from 'hono';
import pino from 'pino';
import { Probot } from 'probot';
import { createGitHubApp } from '../app/github/github-app.js';
import { recordReports } from '../app/github/record-reports.js';
import { Auth } from '../app/http/auth.js';
import { createHttpApp } from '../app/http/server.js';
import { createEngine } from '../core/engine.js';
import { observeJobChanges } from '../core/jobs/index.js';
import { PatternCatalog, TemplateLibrary } from '../core/patterns/index.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import { silentLogger, systemClock } from '../core/types.js';
import { alternately, drive, type LoadResult, listen, temp } from './measure.js';

const DELIVERIES = 2000;
const WARMUP = 500;
const CONCURRENCY = 50;
const SECRET = 'bench-webhook-secret';

/** A GitHub-shaped `push` payload of about 10 KB. */
function pushPayload(): string {
  const commits = Array.from({ length: 12 }, (_, i) => ({
    id: `${i}`.padStart(40, 'a'),
    message: `change ${i} `.repeat(40),
    author: { name: 'Dev', email: 'dev@example.com', username: 'dev' },
    added: [`tasks/t${i}/manifest.json`],
    removed: [],
    modified: ['README.md'],
  }));
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: 'b'.repeat(40),
    created: false,
    deleted: false,
    forced: false,
    commits,
    head_commit: commits.at(-1),
    repository: {
      id: 1,
      name: 'shop',
      full_name: 'acme/shop',
      owner: { login: 'acme' },
      private: true,
    },
    pusher: { name: 'dev', email: 'dev@example.com' },
    sender: { login: 'dev', id: 1 },
    installation: { id: 7 },
  });
}

const privateKey = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  }) as string;

/**
 * Signed 10 KB pushes to a durable queued job (SQLite commit, outbox entry written, before the
 * 202), against a bare Probot `verifyAndReceive` route that stores nothing; and the same with
 * bad signatures, which must cost no more.
 */
export async function webhookIngest(floorFirst: boolean): Promise<{
  ours: LoadResult;
  floor: LoadResult;
  forged: LoadResult;
}> {
  const body = pushPayload();
  const signature = await sign(SECRET, body);
  const dir = temp();
  const store = openSqliteStore(path.join(dir, 'slipway.db'));
  const report = recordReports(store, systemClock, () => {});
  const engine = createEngine({
    store: observeJobChanges(store, report),
    runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
    source: createGitSource({ cacheDir: dir, reposDir: dir }),
  });
  engine.workspaces.create({ name: 'shop', repositoryUrl: 'acme/shop' }, null);
  const github = await createGitHubApp({
    appId: '1',
    privateKey: privateKey(),
    webhookSecret: SECRET,
    engine,
    store,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  const app = createHttpApp({
    engine,
    templates: new TemplateLibrary(dir),
    catalog: new PatternCatalog(dir, store),
    store,
    auth: new Auth({
      adminToken: 'bench-admin-0123456789',
      store,
      clock: systemClock,
      trustedPeers: new BlockList(),
    }),
    clock: systemClock,
    logger: silentLogger,
    github,
  });
  const ours = await listen(app.fetch);

  const probot = new Probot({
    appId: 1,
    privateKey: privateKey(),
    secret: SECRET,
    logLevel: 'fatal',
  });
  probot.on('push', async () => {});
  const bare = new Hono();
  bare.post('/api/github/webhooks', async (c) => {
    await probot.webhooks.verifyAndReceive({
      id: c.req.header('x-github-delivery') as string,
      name: 'push',
      payload: await c.req.text(),
      signature: c.req.header('x-hub-signature-256') as string,
    });
    return c.body(null, 200);
  });
  const floor = await listen(bare.fetch);

  const post = (url: string, total: number, expect: number, sig = signature) =>
    drive({
      spec: {
        url: `${url}/api/github/webhooks`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': sig,
        },
        body,
        freshId: 'x-github-delivery',
      },
      total,
      concurrency: CONCURRENCY,
      expect,
    });
  // Both routes warm up (JIT, connections) before either is measured.
  await post(floor.url, WARMUP, 200);
  await post(ours.url, WARMUP, 202);
  const result = {
    ...(await alternately(
      floorFirst,
      () => post(ours.url, DELIVERIES, 202),
      () => post(floor.url, DELIVERIES, 200),
    )),
    forged: await post(ours.url, DELIVERIES, 401, `sha256=${'0'.repeat(64)}`),
  };
  const queued = store.listJobs({ type: 'WORKSPACE_DEPLOY' }, { offset: 0, limit: 1 }).total;
  if (queued !== WARMUP + DELIVERIES) {
    throw new Error(`${queued} jobs for ${WARMUP + DELIVERIES} deliveries`);
  }
  ours.close();
  floor.close();
  store.close();
  return result;
}
