import { Hono } from 'hono';
import type { Engine } from '../../core/engine.js';
import type { Store } from '../../core/store/types.js';
import type { Logger } from '../../core/types.js';
import type { Metrics } from '../metrics.js';

const READY_TIMEOUT_MS = 3000;

/**
 * What operators and their probes ask: `GET /metrics` (Prometheus text), `GET /readyz` (the
 * database answers and the runtime's API is reachable: 200, else 503 naming what is not).
 * `GET /healthz` (alive) is the server's own.
 */
export function createOperationsApp({
  engine,
  store,
  metrics,
  logger,
}: {
  engine: Engine;
  store: Store;
  metrics: Metrics;
  logger: Logger;
}) {
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    }),
  );
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    try {
      store.listJobs({}, { offset: 0, limit: 1 });
      checks.database = 'ok';
    } catch (error) {
      checks.database = `failing: ${(error as Error).message}`;
    }
    try {
      await withTimeout(engine.runtime.listNamespaces(), READY_TIMEOUT_MS);
      checks.runtime = 'ok';
    } catch (error) {
      checks.runtime = `failing (${engine.runtime.name}): ${(error as Error).message}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    if (!ready) logger.warn({ checks }, 'not ready');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
