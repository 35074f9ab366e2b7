import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from './kube-object.js';
import { badRequest, type StatusError } from './status-error.js';

/** Bodies above this size answer 413, as the API server's 3 MiB request limit does. */
const MAX_BODY = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parses a request body: JSON, or YAML for apply patches and `application/yaml`. */
export function parseBody(text: string, contentType: string | undefined): JsonValue {
  if (text.trim() === '')
    throw badRequest(
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
    );
  const type = mediaType(contentType);
  if (type.includes('yaml')) {
    // JSON is YAML, and clients (client-node, kubectl) send apply patches as JSON: read those as
    // JSON, which is many times cheaper; anything else, or JSON that fails, goes to the YAML parser.
    if (/^\s*\{/.test(text)) {
      try {
        return JSON.parse(text) as JsonValue;
      } catch {}
    }
    try {
      return parseYaml(text) as JsonValue;
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw badRequest(`error decoding JSON: ${(error as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, error: StatusError): void {
  sendJson(res, error.code, error.toStatus(), error.headers);
}

export function queryObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) out[key] = value;
  return out;
}

/** `true`/`1` as the API server's query decoding accepts booleans. */
export function queryFlag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value === 'true' || value === '1';
}

export function queryInt(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw badRequest(`invalid value for ${name}: ${value}`);
  return parsed;
}

/** `?dryRun=All` (the only value the API server accepts; anything else is 400). */
export function queryDryRun(params: URLSearchParams): boolean {
  const values = params.getAll('dryRun');
  for (const v of values)
    if (v !== 'All') throw badRequest(`Invalid dry run value: "${v}": supported values: "All"`);
  return values.length > 0;
}
