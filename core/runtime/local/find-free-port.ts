import net from 'node:net';
import { SlipwayError } from '../../errors.js';

/** Whether nothing listens on 127.0.0.1:`port` right now (it binds the port for a moment). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/**
 * The first port from `from` up that is not in `taken` (ports given to other local workloads,
 * whose processes may be down for a restart) and that nothing listens on.
 *
 * @example
 * await findFreePort(8080, new Set([8080])); // 8081 if nothing listens there
 */
export async function findFreePort(from: number, taken: ReadonlySet<number>): Promise<number> {
  for (let port = from; port < 65_536; port++) {
    if (!taken.has(port) && (await portIsFree(port))) return port;
  }
  throw new SlipwayError('RUNTIME_ERROR', `no free port on 127.0.0.1 from ${from} up`, {
    retryable: true,
  });
}
