import { type Periodic, runPeriodically } from '../../core/periodic.js';
import type { Store } from '../../core/store/types.js';
import { type Clock, isoTime, type Logger } from '../../core/types.js';

/**
 * The events whose lost deliveries are asked for again: what a push, a pull request or a
 * repository's rename would have done still needs doing. A re-run asked for days ago
 * (`check_run`, `check_suite`) is not: it would deploy the commit it names over newer ones, and
 * the person who asked can ask again. Nor is an installation's change: arriving after a later
 * one (a suspension after its lifting) it would record what is no longer so, and a fetch GitHub
 * refuses finds the current installation anyway.
 */
const REDELIVERED_EVENTS = new Set(['push', 'pull_request', 'repository']);

/** GitHub keeps an App's deliveries of the last three days, and redelivers none older. */
const KEPT_MS = 3 * 24 * 60 * 60_000;
/** A scan looks this far back past where the last one began: deliveries are listed once made. */
const OVERLAP_MS = 10 * 60_000;
/** Redeliveries asked for one event at most: one that keeps failing is left to a person. */
const MAX_ASKS = 3;
/** Between scans. */
const SCAN_INTERVAL_MS = 5 * 60_000;
const RECORD_KEY = 'app';

/** One delivery as `GET /app/hook/deliveries` lists it (the fields read). */
interface Delivery {
  id: number;
  guid: string;
  delivered_at: string;
  status: string;
  status_code: number;
  event: string;
}

/** How far back the last scan looked, and the events asked for again (by guid). */
interface Scanned {
  since: string;
  asked: Record<string, { times: number; at: string }>;
}

/** The little of Octokit this uses, authenticated as the App (its JWT). */
export interface AppClient {
  request(
    route: string,
    parameters?: Record<string, unknown>,
  ): Promise<{ data: unknown; headers: Record<string, unknown> }>;
}

export interface FailedDeliveriesOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  app(): Promise<AppClient>;
}

/**
 * GitHub does not deliver a webhook twice on its own: a push sent while Slipway was down (or
 * answered with a 5xx) is lost unless someone asks for it again. At start and every few minutes
 * this lists the App's deliveries since the last look (`GET /app/hook/deliveries`), and asks
 * GitHub to deliver again each event whose every delivery failed to connect, timed out or got a
 * 5xx (never a 4xx: the same answer would come back), oldest first. A redelivery carries the
 * same delivery id, so an event that did get through once makes no second job.
 */
export class FailedDeliveries {
  private periodic: Periodic | undefined;

  constructor(private readonly options: FailedDeliveriesOptions) {}

  start(): void {
    this.periodic = runPeriodically(
      SCAN_INTERVAL_MS,
      () => this.scan(),
      // What went wrong is a warning: the next scan tries again.
      (error) =>
        this.options.logger.warn(
          { reason: String((error as Error)?.message ?? error).slice(0, 300) },
          'could not look for webhook deliveries that failed; trying again at the next scan',
        ),
    );
  }

  async stop(): Promise<void> {
    await this.periodic?.stop();
  }

  /** Asks for the failed deliveries since the last scan again; resolves with how many. */
  async scan(): Promise<number> {
    const { store, clock, logger } = this.options;
    const now = clock.now();
    const saved = store.getRecord<Scanned>('github-redeliveries', RECORD_KEY);
    const oldest = now - KEPT_MS + OVERLAP_MS;
    const since = Math.max(saved ? Date.parse(saved.since) - OVERLAP_MS : oldest, oldest);
    const app = await this.options.app();

    // Newest first: the first delivery seen of an event is its latest attempt.
    const latest = new Map<string, Delivery>();
    const delivered = new Set<string>();
    let cursor: string | undefined;
    listing: for (;;) {
      const { data, headers } = await app.request('GET /app/hook/deliveries', {
        per_page: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const delivery of data as Delivery[]) {
        if (Date.parse(delivery.delivered_at) < since) break listing;
        if (delivery.status === 'OK' || isSuccess(delivery.status_code)) {
          delivered.add(delivery.guid);
        } else if (!latest.has(delivery.guid)) latest.set(delivery.guid, delivery);
      }
      cursor = nextCursor(headers.link);
      if (!cursor) break;
    }

    const asked = { ...saved?.asked };
    const lost = [...latest.values()]
      .filter((d) => !delivered.has(d.guid) && REDELIVERED_EVENTS.has(d.event))
      .filter((d) => isTransient(d.status_code) && (asked[d.guid]?.times ?? 0) < MAX_ASKS)
      .reverse();
    for (const delivery of lost) {
      await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
        delivery_id: delivery.id,
      });
      asked[delivery.guid] = { times: (asked[delivery.guid]?.times ?? 0) + 1, at: isoTime(now) };
      logger.info(
        {
          delivery: delivery.guid,
          event: delivery.event,
          deliveredAt: delivery.delivered_at,
          status: delivery.status,
        },
        'asked GitHub to deliver again a webhook delivery that did not get through',
      );
    }
    for (const [guid, entry] of Object.entries(asked)) {
      if (Date.parse(entry.at) < now - KEPT_MS) delete asked[guid];
    }
    store.putRecord('github-redeliveries', RECORD_KEY, '', { since: isoTime(now), asked });
    logger.debug(
      { since: isoTime(since), failed: latest.size, askedAgain: lost.length },
      'looked for webhook deliveries that did not get through',
    );
    return lost.length;
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** No answer (0), a timeout or rate limit, or a server error: another delivery may get through. */
function isTransient(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** The `cursor` of a `Link` header's rel="next", as GitHub pages deliveries. */
function nextCursor(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match?.[1]) return new URL(match[1]).searchParams.get('cursor') ?? undefined;
  }
  return undefined;
}
