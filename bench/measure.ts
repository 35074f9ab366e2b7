import { randomUUID } from 'node:crypto';
import { on } from 'node:events';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { serve } from '@hono/node-server';

export function temp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-'));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Serves a fetch handler on a free loopback port. */
export function listen(
  fetchHandler: (request: Request) => Response | Promise<Response>,
): Promise<{ url: string; close: () => void }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => server.close() }),
    );
  });
}

export interface LoadResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * From `drive` only: this thread's (the server's) busy time per request, in µs, and the share
   * of the load's time it was busy. Well under 1, the client set the pace, not the server.
   */
  serverUs?: number;
  serverBusy?: number;
}

/** The median of each figure over several runs of one load (the server's time too, if measured). */
export function medianLoad(runs: LoadResult[]): LoadResult {
  const of = (pick: (run: LoadResult) => number | undefined) =>
    median(runs.map((run) => pick(run) ?? Number.NaN));
  return {
    perSecond: of((r) => r.perSecond),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    ...(runs.some((r) => r.serverUs !== undefined)
      ? { serverUs: of((r) => r.serverUs), serverBusy: of((r) => r.serverBusy) }
      : {}),
  };
}

/**
 * The requests of a load, as data (it crosses to the load's worker thread): all alike, GET unless
 * `method` says otherwise; `freshId` names a header that gets a new UUID on each request (GitHub's
 * delivery id).
 */
export interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  freshId?: string;
}

export interface Load {
  spec: LoadSpec;
  /** Requests in all. */
  total: number;
  /** Clients, each sending its next request when its last one was answered. */
  concurrency: number;
  /** The status every answer must have. */
  expect: number;
}

/** Sends one request on a keep-alive connection of `agent`; resolves with the status once read. */
function send(agent: http.Agent, { url, method = 'GET', headers, body, freshId }: LoadSpec) {
  const sent = freshId ? { ...headers, [freshId]: randomUUID() } : headers;
  return new Promise<number>((resolve, reject) => {
    const outgoing = http.request(url, { agent, method, headers: sent }, (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Runs `load` in this thread over keep-alive connections: requests per second and latency
 * percentiles. The client is `node:http`, not `fetch`: fetch's streams cost the client about
 * 0.25 ms of CPU per request and garbage-collection pauses of 5-13 ms, which landed on whatever
 * requests were in flight and set the p99 of every route, a route that does nothing included.
 */
export async function driveHere({ spec, total, concurrency, expect }: Load): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next += 1;
          const t0 = performance.now();
          const status = await send(agent, spec);
          latencies.push(performance.now() - t0);
          if (status !== expect) {
            throw new Error(
              `${spec.method ?? 'GET'} ${spec.url} answered ${status}, not ${expect}`,
            );
          }
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * Runs `load` from a worker thread, for servers in this thread: on one event loop the client's
 * work delays the server's and the other way round, which held some requests for hundreds of
 * milliseconds and made the p99 measure the harness. Throughput is then the server's alone.
 */
export async function drive(load: Load): Promise<LoadResult> {
  // tsx's loader does not reach worker threads: the worker loads the TypeScript through its API.
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./load-worker.ts', import.meta.url).href);
  const worker = new Worker(`import(${api}).then(({ tsImport }) => tsImport(${entry}, ${entry}))`, {
    eval: true,
    workerData: load,
  });
  // The worker's start-up is not part of the load: the server's time counts from when the
  // worker says it starts sending.
  const messages = on(worker, 'message');
  await messages.next();
  const before = performance.eventLoopUtilization();
  const [result] = (await messages.next()).value as [LoadResult];
  const used = performance.eventLoopUtilization(before);
  await messages.return?.();
  return {
    ...result,
    serverUs: (used.active * 1000) / load.total,
    serverBusy: used.utilization,
  };
}

/**
 * Measures Slipway's side and its floor one after the other, the floor first when `floorFirst`:
 * alternated between rounds, neither always runs in the warmer process.
 */
export async function alternately<T>(
  floorFirst: boolean,
  ours: () => Promise<T>,
  floor: () => Promise<T>,
): Promise<{ ours: T; floor: T }> {
  if (floorFirst) {
    const floorResult = await floor();
    return { floor: floorResult, ours: await ours() };
  }
  const oursResult = await ours();
  return { ours: oursResult, floor: await floor() };
}
