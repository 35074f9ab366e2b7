import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrafficWeight } from '../types.js';

/** The ports of a service workload's replicas that are ready now. */
export type ReadyPorts = (workload: string) => number[];

/**
 * The local stand-in for a Kubernetes Service plus a weighted route (DESIGN.md section 5): an HTTP
 * proxy on one port that sends each request to one of the scope's service workloads, chosen by
 * weight, and there to one of its ready replicas. Weights change in one step, so no request sees
 * a half-applied split; a replica that refuses the connection is skipped for another.
 */
export class ScopeProxy {
  private weights: TrafficWeight[] = [];
  private server: http.Server | undefined;
  private next = 0;

  constructor(
    private readonly readyPorts: ReadyPorts,
    private readonly random: () => number = Math.random,
  ) {}

  /** Listens on `port` (0: any free one) on 127.0.0.1 and answers the port. */
  listen(port: number): Promise<number> {
    const server = http.createServer((request, response) => this.forward(request, response));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  }

  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  setWeights(weights: TrafficWeight[]): void {
    this.weights = weights.map((w) => ({ ...w }));
  }

  getWeights(): TrafficWeight[] {
    return this.weights.map((w) => ({ ...w }));
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The workload a request goes to: weighted, among those with a ready replica. */
  private pick(): string | undefined {
    const live = this.weights.filter((w) => w.weight > 0 && this.readyPorts(w.workload).length > 0);
    const total = live.reduce((sum, w) => sum + w.weight, 0);
    if (total === 0) return undefined;
    let roll = this.random() * total;
    for (const entry of live) {
      roll -= entry.weight;
      if (roll < 0) return entry.workload;
    }
    return live.at(-1)?.workload;
  }

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    tried = new Set<number>(),
  ): void {
    const workload = this.pick();
    const ports = workload ? this.readyPorts(workload).filter((p) => !tried.has(p)) : [];
    if (!workload || ports.length === 0) {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('no ready instance behind this scope\n');
      return;
    }
    const port = ports[this.next++ % ports.length] as number;
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // A replica going away between the pick and the connect: try another one, once each.
      if (error.code === 'ECONNREFUSED' && !response.headersSent && tried.size < 8) {
        tried.add(port);
        this.forward(request, response, tried);
        return;
      }
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`upstream ${workload} failed: ${error.message}\n`);
    });
    if (tried.size === 0) request.pipe(upstream);
    else upstream.end();
  }
}
