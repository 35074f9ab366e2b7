import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../core/store/sqlite.js';
import { isoTime, type Job } from '../core/types.js';
import { driveHere, type LoadResult, medianLoad, temp } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JOBS = 100_000;
const LINES = 5;
const PASSES = 3;
const TOKEN = 'bench-admin-token-0123456789';

function seed(dataDir: string): string {
  const store = openSqliteStore(path.join(dataDir, 'slipway.db'));
  const now = Date.now();
  let last = '';
  for (let batch = 0; batch < JOBS / 1000; batch++) {
    store.transaction(() => {
      for (let i = 0; i < 1000; i++) {
        const t = isoTime(now - (JOBS - batch * 1000 - i) * 1000);
        const job: Job = {
          id: randomUUID(),
          created: t,
          type: 'TASK_DEPLOY',
          status: 'COMPLETE',
          attempt: 0,
          maxAttempts: 3,
          startTime: t,
          endTime: t,
          exitCode: 0,
          commitId: 'c'.repeat(40),
          message: 'job deployed',
          target: `task:bench/t${i}`,
          workspaceId: null,
          params: {},
          result: { namespace: 'bench', name: `t${i}` },
          progress: null,
          deliveryId: null,
          identity: 'bench',
          runAfter: 0,
          leaseOwner: null,
          leaseExpires: null,
          updated: t,
        };
        store.insertJob(job);
        store.appendJobLogs(
          job.id,
          Array.from({ length: LINES }, (_, n) => ({
            time: t,
            line: `[t${i}] line ${n} of a finished job`,
          })),
        );
        last = job.id;
      }
    });
  }
  store.close();
  return last;
}

/**
 * Routes measured beside the list and read routes without a p99 target of their own, and why:
 * the floor, which answers at once and reads nothing, and the scrape Prometheus makes once per
 * interval (it counted every job, 0.3 s at this size, before job counts were kept).
 */
export const UNTARGETED: Record<string, string> = {
  'GET /metrics (a Prometheus scrape)': 'no target: one scrape per interval',
  'GET /healthz (the floor: reads nothing)': 'the floor, no target',
};

/**
 * 100,000 finished jobs with their logs in the database, then the real server on it: its
 * resident memory, and p99 latencies of paged lists (first and deep pages), single reads and a
 * Prometheus scrape, beside those of a route that does nothing (see UNTARGETED).
 */
export async function memoryAtScale(): Promise<{
  rssMb: number;
  routes: Record<string, LoadResult>;
}> {
  const dataDir = temp();
  const jobId = seed(dataDir);
  // The server logs each request, as in production, to a file: a pipe read by this process
  // (busy driving the load) would fill and stall the server's synchronous log writes.
  const logFile = path.join(dataDir, 'server.log');
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: '0',
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', out, 'inherit'],
  });
  closeSync(out);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  let url: string | undefined;
  while (url === undefined) {
    if (exited !== undefined) throw new Error(`server exited with ${exited}`);
    url = /Slipway listening on (http:\/\/\S+?)"/.exec(readFileSync(logFile, 'utf8'))?.[1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const headers = { authorization: `Bearer ${TOKEN}` };
  const routes: Record<string, string> = {
    'GET /api/jobs (first page of 20)': '/api/jobs?page=0&size=20',
    'GET /api/jobs (page 4000 of 20)': '/api/jobs?page=4000&size=20',
    // The deepest a page can lie from either end of the index: the worst case.
    'GET /api/jobs (page 2500 of 20, the middle)': '/api/jobs?page=2500&size=20',
    'GET /api/jobs/{id}': `/api/jobs/${jobId}`,
    'GET /api/jobs/{id}/logs': `/api/jobs/${jobId}/logs?sequence=0`,
    'GET /metrics (a Prometheus scrape)': '/metrics',
    // What the machine, the HTTP stack and the client add to any request's p99.
    'GET /healthz (the floor: reads nothing)': '/healthz',
  };
  const load = (route: string, total: number) =>
    driveHere({ spec: { url: `${url}${route}`, headers }, total, concurrency: 10, expect: 200 });
  // A warm server is measured, as for the other figures: the first requests compile code.
  for (const route of Object.values(routes)) await load(route, 500);
  // Each route in turn, PASSES times over: a figure is the median of its passes, as the other
  // figures are medians of rounds.
  const passes = new Map<string, LoadResult[]>(Object.keys(routes).map((name) => [name, []]));
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [name, route] of Object.entries(routes)) {
      passes.get(name)?.push(await load(route, 2000));
    }
  }
  const results: Record<string, LoadResult> = {};
  for (const [name, runs] of passes) results[name] = medianLoad(runs);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const rss = Number(
    /^slipway_process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN,
  );
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return { rssMb: rss / 2 ** 20, routes: results };
}
