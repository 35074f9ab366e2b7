import http from 'node:http';

export interface HealthResult {
  ok: boolean;
  /** `health check answered 503`, `health check failed: ECONNREFUSED`... */
  detail: string;
}

/**
 * Asks `GET http://127.0.0.1:<port>/health` once, as a Kubernetes readiness probe does: ready on a
 * 2xx or 3xx answer within `timeoutMs`. A service that listens on IPv6 loopback only (`localhost`
 * resolves to `::1` first on some machines) is asked there when 127.0.0.1 refuses. Uses no
 * connection pool, so nothing stays open after it.
 */
export async function probeHealth(
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
  path = '/health',
): Promise<HealthResult> {
  const ipv4 = await probeAt('127.0.0.1', port, timeoutMs, signal, path);
  if (ipv4.ok || ipv4.detail !== 'health check failed: ECONNREFUSED') return ipv4;
  const ipv6 = await probeAt('::1', port, timeoutMs, signal, path);
  return ipv6.ok || ipv6.detail !== 'health check failed: ECONNREFUSED' ? ipv6 : ipv4;
}

function probeAt(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  path: string,
): Promise<HealthResult> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path, agent: false, signal }, (response) => {
      response.resume();
      clearTimeout(timer);
      const status = response.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 400, detail: `health check answered ${status}` });
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    request.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `health check failed: ${error.code ?? error.message}` });
    });
  });
}
