import type { Context } from 'hono';
import { type GitHubError, problemsParsingJson } from './github-error.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer with GitHub's content type (`c.json` would say plain `application/json`). */
export function reply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
  });
}

export function errorReply(error: GitHubError): Response {
  return reply(error.status, error.body(), error.headers);
}

/** The request body as a JSON object; `{}` when empty, 400 `Problems parsing JSON` otherwise. */
export async function readJson(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw problemsParsingJson();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw problemsParsingJson();
  return value as Record<string, unknown>;
}

/** ISO 8601 without milliseconds, the way GitHub writes timestamps. */
export function isoTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * One page of `items` by `?per_page=` (default 30, at most 100) and `?page=`, with the `Link`
 * header Octokit's paginate plugin follows.
 */
export function paginate<T>(
  c: Context,
  items: T[],
): { page: T[]; headers: Record<string, string> } {
  const url = new URL(c.req.url);
  const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page')) || 30, 1), 100);
  const page = Math.max(Number(url.searchParams.get('page')) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number, rel: string) => {
    const target = new URL(url);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(n));
    return `<${target}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}
