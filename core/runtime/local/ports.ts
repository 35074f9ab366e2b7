import net from 'node:net';

/** Whether nothing listens on 127.0.0.1:port right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first port from `from` up that is free and not in `taken`. */
export async function findFreePort(from: number, taken: Set<number>): Promise<number> {
  for (let port = from; port < 65_536; port++) {
    if (!taken.has(port) && (await portIsFree(port))) return port;
  }
  throw new Error(`no free port from ${from} up`);
}

/** Whether GET http://127.0.0.1:port/health answers 2xx or 3xx within `timeoutMs`. */
export async function probeHealth(
  port: number,
  timeoutMs: number,
): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 400;
    return { ok, detail: ok ? 'ok' : `health check answered ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, detail: `health check failing: ${cause ?? (error as Error).message}` };
  }
}
