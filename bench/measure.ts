import { mkdtempSync } from 'node:fs';
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

/**
 * `total` requests made by `concurrency` clients, each request built by `request(i)` and expected
 * to answer `expect`: requests per second and the 99th percentile latency.
 */
export async function drive(
  total: number,
  concurrency: number,
  request: (i: number) => { url: string; init: RequestInit },
  expect: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const { url, init } = request(i);
        const t0 = performance.now();
        const response = await fetch(url, init);
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (response.status !== expect) {
          throw new Error(
            `${init.method ?? 'GET'} ${url} answered ${response.status}, not ${expect}`,
          );
        }
      }
    }),
  );
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
