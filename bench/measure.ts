import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
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
}

/** One request of a load: GET unless `method` says otherwise. */
export interface LoadRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends `request` on a keep-alive connection of `agent`; resolves with the status once read. */
function send(agent: http.Agent, { url, method = 'GET', headers, body }: LoadRequest) {
  return new Promise<number>((resolve, reject) => {
    const outgoing = http.request(url, { agent, method, headers }, (response) => {
      response.on('error', reject);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.resume();
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * `total` requests made by `concurrency` clients over keep-alive connections, each request built
 * by `request(i)` and expected to answer `expect`: requests per second and latency percentiles.
 *
 * The client is `node:http`, not `fetch`: fetch's streams cost the client about 0.25 ms of CPU
 * per request and garbage-collection pauses of 5-13 ms, which landed on whatever requests were
 * in flight and set the p99 of every route, a route that does nothing included.
 */
export async function drive(
  total: number,
  concurrency: number,
  request: (i: number) => LoadRequest,
  expect: number,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const load = request(next++);
          const t0 = performance.now();
          const status = await send(agent, load);
          latencies.push(performance.now() - t0);
          if (status !== expect) {
            throw new Error(
              `${load.method ?? 'GET'} ${load.url} answered ${status}, not ${expect}`,
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
