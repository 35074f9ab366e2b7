// `npm run bench`: each figure side by side with its floor, measured in one run, as a ratio
// (DESIGN.md section 12). Medians of several rounds; results go to bench/results.md.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { Auth } from '../app/http/auth.js';
import { createHttpApp } from '../app/http/server.js';
import { createEngine } from '../core/engine.js';
import { JobQueue, WorkerPool } from '../core/jobs/index.js';
import { PatternCatalog, TemplateLibrary } from '../core/patterns/index.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import { silentLogger, systemClock } from '../core/types.js';
import { LIMITS } from './limits.js';
import {
  alternately,
  drive,
  type LoadResult,
  listen,
  median,
  medianLoad,
  temp,
} from './measure.js';
import { memoryAtScale, UNTARGETED } from './memory-at-scale.js';
import { webhookIngest } from './webhook-ingest.js';
import { type ApplyTimes, LATENCY_MS, workspaceApply } from './workspace-apply.js';

const ROUNDS = 5;
const QUEUE_JOBS = 3000;
const READS = 8000;
const READ_CONCURRENCY = 32;

/** No-op jobs per second through enqueue -> claim -> complete, on SQLite. */
async function queueThroughput(): Promise<number> {
  const store = openSqliteStore(path.join(temp(), 'bench.db'));
  const queue = new JobQueue(store, systemClock);
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const pool = new WorkerPool({
    store,
    queue,
    clock: systemClock,
    logger: silentLogger,
    owner: 'bench',
    workers: 4,
    pollMs: 5,
    handlers: {
      TASK_DEPLOY: {
        run: async () => {
          done += 1;
          if (done === QUEUE_JOBS) setImmediate(finish);
          return undefined;
        },
      },
    },
  });
  const started = performance.now();
  pool.start();
  for (let i = 0; i < QUEUE_JOBS; i++) queue.enqueue({ type: 'TASK_DEPLOY', target: `t-${i}` });
  await finished;
  // The last completions are committed a turn of the event loop after their handlers return.
  const completed = () => store.listJobs({ status: ['COMPLETE'] }, { offset: 0, limit: 1 }).total;
  const deadline = Date.now() + 5000;
  while (completed() < QUEUE_JOBS && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  await pool.stop();
  const complete = completed();
  store.close();
  if (complete !== QUEUE_JOBS) throw new Error(`only ${complete} of ${QUEUE_JOBS} jobs completed`);
  return QUEUE_JOBS / seconds;
}

/**
 * The floor: the same rows inserted, then updated twice, with bare prepared statements, one
 * autocommit each. `schema: 'slipway'` writes them into Slipway's own jobs table (its indexes
 * serve the list routes and the claim); `'bare'` into a table without indexes, for reference.
 */
function bareSqliteThroughput(schema: 'slipway' | 'bare'): number {
  const file = path.join(temp(), 'floor.db');
  if (schema === 'slipway') openSqliteStore(file).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (schema === 'bare') {
    db.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, created TEXT, type TEXT, status TEXT,
      attempt INTEGER, max_attempts INTEGER, target TEXT, params TEXT, run_after INTEGER,
      lease_owner TEXT, lease_expires INTEGER, start_time TEXT, end_time TEXT, updated TEXT)`);
  }
  const insert = db.prepare(
    `INSERT INTO jobs (id, created, type, status, attempt, max_attempts, target, params, run_after, updated)
     VALUES (?, ?, 'TASK_DEPLOY', 'QUEUED', 0, 3, ?, '{}', 0, ?)`,
  );
  const claim = db.prepare(
    `UPDATE jobs SET status = 'RUNNING', lease_owner = 'bench', lease_expires = ?, start_time = ? WHERE id = ?`,
  );
  const complete = db.prepare(
    `UPDATE jobs SET status = 'COMPLETE', end_time = ?, updated = ? WHERE id = ?`,
  );
  const ids = Array.from({ length: QUEUE_JOBS }, () => randomUUID());
  const started = performance.now();
  for (let i = 0; i < QUEUE_JOBS; i++) {
    const now = new Date().toISOString();
    insert.run(ids[i], now, `t-${i}`, now);
  }
  for (let i = 0; i < QUEUE_JOBS; i++) {
    const now = new Date().toISOString();
    claim.run(Date.now() + 30_000, now, ids[i]);
    complete.run(now, now, ids[i]);
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return QUEUE_JOBS / seconds;
}

/** `GET /api/jobs/{id}` of the real app against a bare Hono route returning the same JSON. */
async function restReads(floorFirst: boolean): Promise<{ ours: LoadResult; floor: LoadResult }> {
  const dir = temp();
  const store = openSqliteStore(path.join(dir, 'slipway.db'));
  const runtime = createLocalRuntime({ stateDir: path.join(dir, 'local') });
  const engine = createEngine({
    store,
    runtime,
    source: createGitSource({ cacheDir: dir, reposDir: dir }),
  });
  const adminToken = 'bench-admin-token-0123456789';
  const auth = new Auth({ adminToken, store, clock: systemClock, trustedPeers: new BlockList() });
  const app = createHttpApp({
    engine,
    templates: new TemplateLibrary(dir),
    catalog: new PatternCatalog(dir, store),
    store,
    auth,
    clock: systemClock,
    logger: silentLogger,
  });
  const queue = new JobQueue(store, systemClock);
  const { job } = queue.enqueue({ type: 'TASK_DEPLOY', target: 'bench' });
  const ours = await listen(app.fetch);
  const body = (await (
    await fetch(`${ours.url}/api/jobs/${job.id}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
  ).json()) as object;
  const bare = new Hono();
  bare.get('/api/jobs/:id', (c) => c.json(body));
  const floor = await listen(bare.fetch);
  const headers = { authorization: `Bearer ${adminToken}` };
  const reads = (url: string, total: number) =>
    drive({
      spec: { url: `${url}/api/jobs/${job.id}`, headers },
      total,
      concurrency: READ_CONCURRENCY,
      expect: 200,
    });
  // Both servers warm up (JIT, connection pools) before either is measured.
  await reads(ours.url, READS / 4);
  await reads(floor.url, READS / 4);
  const result = await alternately(
    floorFirst,
    () => reads(ours.url, READS),
    () => reads(floor.url, READS),
  );
  ours.close();
  floor.close();
  store.close();
  return result;
}

/**
 * The server thread's busy time per request beside the floor's: the stricter ratio when the
 * floor's server sat idle part of its run, waiting for the client.
 */
function serverTime(ours: LoadResult, floor: LoadResult): string {
  const oursUs = ours.serverUs ?? Number.NaN;
  const floorUs = floor.serverUs ?? Number.NaN;
  const floorBusy = floor.serverBusy ?? Number.NaN;
  return `server time per request ${oursUs.toFixed(0)} µs against the floor's ${floorUs.toFixed(0)} µs (${(floorUs / oursUs).toFixed(2)}x), the floor's server busy ${(floorBusy * 100).toFixed(0)}% of its run`;
}

async function main(): Promise<void> {
  const queue: number[] = [];
  const queueFloor: number[] = [];
  const queueBareTable: number[] = [];
  const rests: Array<{ ours: LoadResult; floor: LoadResult }> = [];
  const ingests: Array<{ ours: LoadResult; floor: LoadResult }> = [];
  const forged: number[] = [];
  const applies: ApplyTimes[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    queueFloor.push(bareSqliteThroughput('slipway'));
    queueBareTable.push(bareSqliteThroughput('bare'));
    queue.push(await queueThroughput());
    rests.push(await restReads(round % 2 === 0));
    const ingest = await webhookIngest(round % 2 === 1);
    ingests.push(ingest);
    forged.push(ingest.forged.perSecond);
    const deploy = await workspaceApply();
    if (deploy) applies.push(deploy);
    process.stdout.write(`round ${round}/${ROUNDS} done\n`);
  }
  const scale = await memoryAtScale();
  const reads = medianLoad(rests.map((r) => r.ours));
  const readsFloor = medianLoad(rests.map((r) => r.floor));
  const hooks = medianLoad(ingests.map((r) => r.ours));
  const hooksFloor = medianLoad(ingests.map((r) => r.floor));
  type Row = readonly [string, number, string, number, number, string?];
  const rows: Row[] = [
    [
      'queue: no-op jobs/s, enqueue -> claim -> complete',
      median(queue),
      'bare SQLite insert + 2 updates of the same rows in the same table',
      median(queueFloor),
      0.5,
      `into a table without indexes the floor is ${median(queueBareTable).toFixed(0)}/s (${(median(queue) / median(queueBareTable)).toFixed(2)}x)`,
    ],
    [
      'REST: GET /api/jobs/{id} requests/s',
      reads.perSecond,
      'bare Hono JSON route',
      readsFloor.perSecond,
      0.7,
      serverTime(reads, readsFloor),
    ],
    [
      'webhook ingest: signed 10 KB pushes/s to a durable queued job (50 connections)',
      hooks.perSecond,
      'bare Probot verifyAndReceive route, storing nothing',
      hooksFloor.perSecond,
      0.8,
      `p50 ${hooks.p50Ms.toFixed(1)} ms, p99 ${hooks.p99Ms.toFixed(1)} ms (target < 50 ms; the floor's p99: ${hooksFloor.p99Ms.toFixed(1)} ms); ${serverTime(hooks, hooksFloor)}`,
    ],
    [
      'webhook ingest, bad signatures: deliveries/s refused',
      median(forged),
      'good deliveries/s (above)',
      hooks.perSecond,
      1,
      'bad ones must cost no more than good ones',
    ],
  ];
  if (applies.length > 0) {
    const of = (field: keyof ApplyTimes) => median(applies.map((a) => a[field]));
    const [ours, kubectl, serverSide] = [of('ours'), of('kubectl'), of('kubectlServerSide')];
    const [oursLatent, kubectlLatent] = [of('oursLatent'), of('kubectlLatent')];
    // Seconds: lower is better, so the ratio is kubectl's time over ours.
    rows.push([
      'workspace deploy: 500 tasks applied to the Kubernetes API test server, tasks/s',
      500 / ours,
      'kubectl apply -f of the same objects, tasks/s',
      500 / kubectl,
      5,
      `${ours.toFixed(2)} s against ${kubectl.toFixed(2)} s; against kubectl apply --server-side -f (${serverSide.toFixed(2)} s) ${(serverSide / ours).toFixed(2)}x; the test server used ${of('serverBusy').toFixed(2)} CPU-seconds per second of Slipway's apply; with ${LATENCY_MS} ms added to every request (a cluster a network hop away) ${oursLatent.toFixed(2)} s against kubectl apply -f's ${kubectlLatent.toFixed(2)} s, ${(kubectlLatent / oursLatent).toFixed(2)}x`,
    ]);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString()} on ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB,`,
    `Node ${process.version}, ${os.type()} ${os.release()}. Medians of ${ROUNDS} rounds; each figure and its floor in the same run.`,
    '',
    '| figure | Slipway | floor or peer | its value | ratio | target | note |',
    '|---|---:|---|---:|---:|---:|---|',
    ...rows.map(([name, ours, floorName, floor, target, note]) => {
      const ratio = ours / floor;
      return `| ${name} | ${ours.toFixed(0)} | ${floorName} | ${floor.toFixed(0)} | ${ratio.toFixed(2)}x | ${target}x ${ratio >= target ? 'met' : 'missed'} | ${note ?? ''} |`;
    }),
    '',
    `## At 100,000 finished jobs (5 log lines each; medians of 3 passes over the routes)`,
    '',
    `Resident memory of the server after the reads below: ${scale.rssMb.toFixed(0)} MB (target < 200 MB: ${scale.rssMb < 200 ? 'met' : 'missed'}).`,
    '',
    '| route | requests/s (10 connections) | p99 | target p99 < 20 ms |',
    '|---|---:|---:|---|',
    ...Object.entries(scale.routes).map(
      ([name, r]) =>
        `| ${name} | ${r.perSecond.toFixed(0)} | ${r.p99Ms.toFixed(1)} ms | ${UNTARGETED[name] ?? (r.p99Ms < 20 ? 'met' : 'missed')} |`,
    ),
    '',
    LIMITS,
  ];
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.md');
  writeFileSync(file, lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\nwritten to ${file}\n`);
  process.exit(0);
}

await main();
