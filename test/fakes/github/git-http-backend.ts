import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface GitCgiRequest {
  /** The served repository: a working tree with `.git`, or a bare repository. */
  dir: string;
  /** What follows the repository in the URL, e.g. `/info/refs` or `/git-upload-pack`. */
  service: string;
  method: string;
  query: string;
  contentType?: string;
  contentEncoding?: string;
  gitProtocol?: string;
  body?: ReadableStream<Uint8Array> | null;
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  if (crlf >= 0) return { at: crlf, length: 4 };
  const lf = buffer.indexOf('\n\n');
  return lf >= 0 ? { at: lf, length: 2 } : undefined;
}

/**
 * Answers a git smart HTTP request by running `git http-backend` as a CGI: its `Status:` and
 * other headers become the response's, its body is streamed. Any SHA may be wanted
 * (`uploadpack.allowAnySHA1InWant`), so `git fetch --depth 1 <url> <sha>` works as on GitHub.
 */
export function runGitHttpBackend(request: GitCgiRequest): Promise<Response> {
  const bare = !existsSync(path.join(request.dir, '.git'));
  const root = bare ? path.dirname(request.dir) : request.dir;
  const repoPath = bare ? `/${path.basename(request.dir)}` : '/.git';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    PATH_INFO: `${repoPath}${request.service}`,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.query,
    CONTENT_TYPE: request.contentType ?? '',
    GIT_HTTP_EXPORT_ALL: '1',
    REMOTE_ADDR: '127.0.0.1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
    GIT_CONFIG_VALUE_0: 'true',
    ...(request.gitProtocol
      ? { GIT_PROTOCOL: request.gitProtocol, HTTP_GIT_PROTOCOL: request.gitProtocol }
      : {}),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (request.body) {
    // Without CONTENT_LENGTH, http-backend reads the request to EOF; a gzip body is inflated here.
    const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
    const gzip = /gzip/i.test(request.contentEncoding ?? '');
    (gzip ? body.pipe(createGunzip()) : body).pipe(child.stdin).on('error', () => {});
  } else child.stdin.end();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      pull: () => {
        child.stdout.resume();
      },
      cancel: () => {
        child.kill();
      },
    });
    const enqueue = (chunk: Buffer) => {
      controller?.enqueue(new Uint8Array(chunk));
      if ((controller?.desiredSize ?? 1) <= 0) child.stdout.pause();
    };
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (started) return enqueue(chunk);
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (!end) return;
      started = true;
      const headers = new Headers();
      let status = 200;
      for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else if (name) headers.append(name, value);
      }
      resolve(new Response(stream, { status, headers }));
      const rest = head.subarray(end.at + end.length);
      if (rest.length > 0) enqueue(rest);
    });
    child.stdout.on('end', () => {
      if (started) controller?.close();
    });
    child.on('error', (error) => {
      if (!started) resolve(new Response(`git http-backend: ${error.message}`, { status: 500 }));
    });
    child.on('close', (code) => {
      if (!started)
        resolve(new Response(`git http-backend failed (${code}): ${stderr}`, { status: 500 }));
    });
  });
}
