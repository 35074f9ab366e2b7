import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { selfSignedCertificate } from './self-signed-certificate.js';

export interface DualListener {
  port: number;
  /** PEM of the self-signed certificate HTTPS clients must trust. */
  certificate: string;
  close(): Promise<void>;
}

/** The first byte of a TLS ClientHello record. */
const TLS_HANDSHAKE = 0x16;

/**
 * Serves `handler` on one 127.0.0.1 port as both plain HTTP and HTTPS (told apart by the first
 * byte a client sends): client-node may use either, and kubectl needs HTTPS to send a token.
 */
export async function listenHttpAndHttps(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<DualListener> {
  const tls = selfSignedCertificate();
  const http = createHttpServer(handler);
  const https = createHttpsServer({ key: tls.key, cert: tls.cert }, handler);
  for (const server of [http, https]) server.keepAliveTimeout = 60_000;
  const sockets = new Set<Socket>();
  const listener = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? https : http).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  const address = listener.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    certificate: tls.cert,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        http.closeAllConnections();
        https.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
