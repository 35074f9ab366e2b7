import { SlipwayError } from '../errors.js';
import type { JobSource, JobView } from './follow-job.js';

/** What a REST client answers, as much of it as the job routes need. */
export interface RestAnswer {
  status: number;
  headers: { get(name: string): string | null };
  body: unknown;
}

/**
 * How a GET is made: `hold.seconds` is how long the server may hold it (a `wait` for log lines),
 * so a client with a time limit per request allows that much more; `hold.signal` aborts when
 * the follower stops waiting.
 */
export interface RestGetOptions {
  seconds: number;
  signal?: AbortSignal;
}

/** Log lines asked for at once. */
const LOG_PAGE = 5000;

/**
 * A server's jobs as `followJob` reads them, through `GET /api/jobs/{id}` and its `/logs`: the
 * CLI and the Action each pass their own client's GET. Waiting for lines holds one request on
 * the server (`wait`) instead of asking again and again.
 *
 * @example
 * const source = restJobSource((path, accept) => client.request('GET', path, { accept }));
 */
export function restJobSource(
  get: (path: string, accept: string, hold?: RestGetOptions) => Promise<RestAnswer>,
): JobSource {
  const job = (id: string) => `/api/jobs/${encodeURIComponent(id)}`;
  const page = async (
    id: string,
    sequence: number,
    waitSeconds: number,
    signal: AbortSignal | undefined,
  ) => {
    const wait = waitSeconds > 0 ? `&wait=${waitSeconds}` : '';
    const answer = await get(
      `${job(id)}/logs?sequence=${sequence}&limit=${LOG_PAGE}${wait}`,
      'text/plain',
      { seconds: waitSeconds, ...(signal ? { signal } : {}) },
    );
    if (answer.status === 204) return { lines: [], next: sequence };
    // Slipway says where the next page starts. A page without it (a proxy's or a web app's
    // HTML at the wrong address, answered 200 too) is no job log: read as one, it would be
    // printed again and again, and the job never seen to end.
    const next = Number(answer.headers.get('x-next-sequence') ?? Number.NaN);
    if (typeof answer.body !== 'string' || !Number.isInteger(next)) {
      throw notSlipway(`GET ${job(id)}/logs`, answer, 'a job log with X-Next-Sequence');
    }
    return { lines: answer.body.replace(/\n$/, '').split('\n'), next };
  };
  return {
    async job(id, signal) {
      const path = job(id);
      const answer = await get(path, 'application/json', {
        seconds: 0,
        ...(signal ? { signal } : {}),
      });
      const view = answer.body as Partial<JobView> | null;
      if (typeof view?.id !== 'string' || typeof view.status !== 'string') {
        throw notSlipway(`GET ${path}`, answer, 'a job with an id and a status');
      }
      return view as JobView;
    },
    logs: (id, sequence, signal) => page(id, sequence, 0, signal),
    // `wait` is in whole seconds: rounded up, so that a hold of less than one is still a hold
    // (the follower cuts it at its deadline), not an answer at once and a look every 50 ms.
    awaitLogs: (id, sequence, waitMs, signal) =>
      page(id, sequence, Math.ceil(waitMs / 1000), signal),
  };
}

/**
 * What a client of Slipway's REST API (the CLI, the Action) says of a success that is not JSON
 * where it asked for JSON: a proxy's sign-in page or a web app at a wrong address answers 200 too.
 */
export function notJsonMessage(
  request: string,
  answer: { status: number; contentType: string | null; text: string },
  serverUrl: string,
): string {
  return `${request} answered ${answer.status} with ${answer.contentType ?? 'no content type'}, not JSON: ${JSON.stringify(answer.text.trim().slice(0, 80))}; is ${serverUrl} the address of a Slipway server?`;
}

/**
 * An answer that is not what a Slipway server gives: the caller is pointed at the wrong place
 * (BAD_REQUEST: the address it was given is the mistake, and asking again will not mend it).
 */
function notSlipway(request: string, answer: RestAnswer, expected: string): SlipwayError {
  const type = answer.headers.get('content-type') ?? 'no content type';
  const seen =
    typeof answer.body === 'string' ? answer.body : (JSON.stringify(answer.body) ?? 'nothing');
  return new SlipwayError(
    'BAD_REQUEST',
    `${request} answered ${answer.status} with ${type}: ${JSON.stringify(seen.trim().slice(0, 80))}; expected ${expected}. Is this the address of a Slipway server?`,
  );
}
