import net from 'node:net';

/**
 * Ports chosen from below the kernel's ephemeral range (32768-60999 on Linux): a port the
 * kernel hands out, to a server bound to port 0 or to an outgoing connection of any test
 * running beside this one, could be taken between this choice and its use.
 */
const CHOSEN_FROM = 20_000;
const CHOSEN_TO = 32_000;

/** A TCP port that was free on 127.0.0.1 a moment ago, outside the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = CHOSEN_FROM + Math.floor(Math.random() * (CHOSEN_TO - CHOSEN_FROM));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${CHOSEN_FROM} and ${CHOSEN_TO} after 100 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
