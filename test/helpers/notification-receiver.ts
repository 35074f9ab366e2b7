import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json } from './server.js';

/** The part of an incoming webhook's URL that is its key, as Slack's is. */
export const KEY_PATH = '/services/T0AAA/B0BBB/keep-this-path-secret';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: Json;
  answered: number;
}

export interface Receiver {
  /** Its URL, with KEY_PATH: SLIPWAY_NOTIFY_URL. */
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/**
 * A chat's incoming webhook on loopback: records each POST and answers `answers()` in turn
 * (404 to any other path; a 503 says Retry-After: 1).
 */
export async function receiver(answers: () => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const answered = request.url === KEY_PATH ? answers() : 404;
      received.push({ headers: request.headers, body, json: JSON.parse(body), answered });
      response.writeHead(answered, answered === 503 ? { 'retry-after': '1' } : {});
      response.end(answered === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${KEY_PATH}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
