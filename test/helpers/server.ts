import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiViolation } from './openapi-check.js';
import { eventually } from './wait.js';

export { eventually } from './wait.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  url: string;
  dataDir: string;
  /** What it was started with: a restart starts the same way. */
  options: StartOptions;
  adminToken: string;
  child: ChildProcess;
  /** Every line the process wrote (stdout and stderr). */
  output: string[];
  /** Log records (parsed JSON lines of stdout). */
  logs(): Record<string, unknown>[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit: a crash. */
  kill(): Promise<void>;
  /** Fetch with the admin token. */
  api(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies and assert on them
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

export interface StartOptions {
  dataDir?: string;
  reposDir?: string;
  env?: Record<string, string>;
}

/**
 * Starts the real server (`app/main.ts` through tsx) on a free port, as `npm start` does, and
 * resolves once it listens.
 */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    PORT: '0',
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_REPOS_DIR: options.reposDir ?? path.join(dataDir, 'repos'),
    LOG_LEVEL: 'debug',
    // Tests stop servers with work in flight; production waits longer (default 25 s).
    SLIPWAY_SHUTDOWN_GRACE_SECONDS: '1',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output.join('\n')}`)),
      30_000,
    );
    const onLine = (line: string) => {
      output.push(line);
      const match = /Slipway listening on (http:\/\/\S+?)"/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    collectLines(child.stdout, onLine);
    collectLines(child.stderr, (line) => output.push(line));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
  const adminToken =
    options.env?.SLIPWAY_ADMIN_TOKEN ??
    readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    url,
    dataDir,
    options,
    adminToken,
    child,
    output,
    logs: () =>
      output.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async api(method, route, body, headers = {}) {
      const response = await request(`${url}${route}`, method, body, {
        authorization: `Bearer ${adminToken}`,
        ...headers,
      });
      // Every answer the end-to-end tests see is checked against the OpenAPI document.
      const violation = openApiViolation(
        method,
        `${url}${route}`,
        response.status,
        response.headers.get('content-type') ?? '',
        response.text,
      );
      if (violation) throw new Error(`OpenAPI: ${violation}`);
      return response;
    },
  };
}

/** A plain HTTP request; a non-string body is sent as JSON. */
export async function request(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body =
      typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function collectLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
  });
}

/**
 * A crash and a restart: SIGKILL, the port closed for `downMs` (clients meet refused
 * connections), then a new server as the first one was started, on its port and data directory.
 */
export async function crashAndRestart(server: ServerProcess, downMs = 0): Promise<ServerProcess> {
  await server.kill();
  if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
  return startServer({
    ...server.options,
    dataDir: server.dataDir,
    env: { ...server.options.env, PORT: new URL(server.url).port },
  });
}

/** Waits until the job reaches one of `statuses` (default: any terminal one) and returns it. */
export async function waitForJob(
  server: ServerProcess,
  jobId: string,
  statuses = ['COMPLETE', 'ERROR', 'STOPPED'],
  ms = 30_000,
): Promise<Json> {
  return eventually(
    async () => {
      const response = await server.api('GET', `/api/jobs/${jobId}`);
      return statuses.includes(response.json?.status) ? response.json : undefined;
    },
    `job ${jobId} to be ${statuses.join(' or ')}`,
    ms,
  );
}

/** The dashboard's page at `route` (default the overview), as the admin signed in sees it. */
export async function dashboardPage(server: ServerProcess, route = '/'): Promise<string> {
  const signIn = await fetch(`${server.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ token: server.adminToken }),
    redirect: 'manual',
  });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (!cookie.includes('='))
    throw new Error(`signing in to the dashboard set no cookie (${signIn.status})`);
  return (await fetch(`${server.url}${route}`, { headers: { cookie } })).text();
}

/** The whole text log of a job. */
export async function jobLog(server: ServerProcess, jobId: string): Promise<string> {
  const response = await server.api('GET', `/api/jobs/${jobId}/logs?sequence=0`);
  return response.status === 204 ? '' : response.text;
}

/** Deploys workspace `id` and waits for the job's end: the ended job, and its whole log. */
export async function deployAndWait(
  server: ServerProcess,
  id: string,
): Promise<{ done: Json; log: string }> {
  const queued = await server.api('POST', `/api/workspaces/${id}/deployments`);
  const done = await waitForJob(server, queued.json.id, undefined, 60_000);
  return { done, log: await jobLog(server, queued.json.id) };
}
