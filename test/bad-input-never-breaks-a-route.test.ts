import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../app/http/openapi/index.js';
import { type ServerProcess, startServer } from './helpers/server.js';

interface Operation {
  method: string;
  path: string;
  /** Statuses the document declares, e.g. MetaKraftwerk's 501 and the off App's 503. */
  statuses: string[];
}

/** Every documented operation. */
function operations(): Operation[] {
  const document = openApiDocument() as unknown as {
    paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  };
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (operation?.responses) {
        found.push({
          method: method.toUpperCase(),
          path,
          statuses: Object.keys(operation.responses),
        });
      }
    }
  }
  return found;
}

/** Path segments: ids, names, traversal, encodings, unicode, oversized. */
const segment = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '%2F',
    '0',
    '-1',
    '99999999999999999999',
    '%00',
    'a'.repeat(300),
    'ü',
    ' ',
  ),
  fc.integer({ min: -5, max: 1_000_000 }).map(String),
  fc.uuid(),
);
/** Bodies: any JSON, objects with hostile field values, and text that is not JSON at all. */
const body = fc.oneof(
  fc.json(),
  fc
    .dictionary(
      fc.constantFrom(
        'name',
        'repositoryUrl',
        'branch',
        'namespace',
        'status',
        'scope_id',
        'release_id',
        'semver',
        'configuration',
        'strategy_data',
        'capabilities',
      ),
      fc.oneof(
        fc.jsonValue(),
        fc.constantFrom(
          '--upload-pack=touch /tmp/x',
          '../../etc/passwd',
          'x'.repeat(5000),
          -1,
          1e308,
        ),
      ),
    )
    .map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 50 }),
);
const query = fc.dictionary(
  fc.constantFrom(
    'page',
    'size',
    'sort',
    'status',
    'type',
    'offset',
    'limit',
    'sequence',
    'plan',
    'include_messages',
    'application_id',
  ),
  fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String)),
);

describe('generated bad input never breaks a route', () => {
  let server: ServerProcess;
  const all = operations();

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function jobCount(): Promise<number> {
    return (await server.api('GET', '/api/jobs?size=1')).json.page.totalElements;
  }

  it('answers every documented operation without a 5xx; a refused request changes nothing', async () => {
    expect(all.length).toBeGreaterThan(100);
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all),
        fc.array(segment, { minLength: 6, maxLength: 6 }),
        body,
        query,
        async (op, segments, text, params) => {
          let i = 0;
          const path = op.path.replace(/\{[^}]+\}/g, () =>
            encodeURIComponent(segments[i++] ?? 'x'),
          );
          const search = new URLSearchParams(params).toString();
          const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
          const before = await jobCount();
          const response = await fetch(`${server.url}${path}${search ? `?${search}` : ''}`, {
            method: op.method,
            redirect: 'manual',
            headers: {
              authorization: `Bearer ${server.adminToken}`,
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
            },
            ...(hasBody ? { body: text } : {}),
          });
          const answer = await response.text();
          const where = `${op.method} ${path} ${hasBody ? text.slice(0, 80) : ''} -> ${response.status}`;
          // A 5xx only where the document promises it (501 Not implemented, 503 App off).
          if (response.status >= 500 && !op.statuses.includes(String(response.status))) {
            failures.push(`${where}: ${answer.slice(0, 200)}`);
          }
          if (response.status >= 400 && response.status < 500) {
            const type = response.headers.get('content-type') ?? '';
            if (type.includes('json')) {
              const parsed = JSON.parse(answer) as Record<string, unknown>;
              if (typeof parsed.message !== 'string')
                failures.push(`${where}: no message in ${answer.slice(0, 200)}`);
            } else if (!type.includes('html')) {
              failures.push(`${where}: a ${type} error body`);
            }
            if ((await jobCount()) !== before)
              failures.push(`${where}: refused, yet a job was queued`);
          }
          // Gather them all: one run of the whole table says more than the first shrunk case.
          return true;
        },
      ),
      { numRuns: 600, seed: 4242 },
    );
    expect(failures).toEqual([]);
    // Still serving.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 240_000);
});
