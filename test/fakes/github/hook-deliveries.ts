import { createHmac, randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { requireApp } from './app-routes.js';
import type { GitHubEnv } from './authenticate.js';
import { notFound } from './github-error.js';
import type { GitHubState } from './github-state.js';
import { reply } from './reply.js';

/** GitHub gives a webhook receiver this long to answer before it calls the delivery timed out. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** One delivery of the App's webhook, as `GET /app/hook/deliveries` lists it. */
export interface HookDelivery {
  id: number;
  /** `X-GitHub-Delivery`: the same for every delivery of one event (redeliveries too). */
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  /** Seconds. */
  duration: number;
  /** `OK` for a 2xx answer, `Invalid HTTP Response: <code>`, `failed to connect`, `timed out`. */
  status: string;
  /** The receiver's status code; 0 when it gave none. */
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
  /** The signed body as sent, for a redelivery (not listed). */
  body: string;
}

/** The listed fields: the body stays inside the fake. */
function listed({ body: _body, ...delivery }: HookDelivery) {
  return delivery;
}

/**
 * Sends `payload` as event `event` to the App's webhook URL the way GitHub's Hookshot does:
 * signed with the webhook secret (`X-Hub-Signature-256`, and the SHA-1 `X-Hub-Signature`), with
 * a delivery guid, given 10 s to answer. The delivery is recorded whatever came of it.
 */
export async function sendWebhook(
  state: GitHubState,
  secret: string,
  event: string,
  payload: Record<string, unknown>,
  redeliveryOf?: HookDelivery,
): Promise<HookDelivery> {
  const body = redeliveryOf?.body ?? JSON.stringify(payload);
  const parsed = JSON.parse(body) as {
    action?: unknown;
    installation?: { id?: unknown };
    repository?: { id?: unknown };
  };
  const guid = redeliveryOf?.guid ?? randomUUID();
  const started = Date.now();
  let status = 'failed to connect';
  let statusCode = 0;
  if (state.webhookUrl) {
    try {
      const answer = await fetch(state.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/a1b2c3d',
          'x-github-delivery': guid,
          'x-github-event': event,
          'x-github-hook-id': '424242',
          'x-github-hook-installation-target-id': String(state.app.id),
          'x-github-hook-installation-target-type': 'integration',
          'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
        body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await answer.arrayBuffer();
      statusCode = answer.status;
      status = answer.ok ? 'OK' : `Invalid HTTP Response: ${answer.status}`;
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') status = 'timed out';
    }
  }
  const delivery: HookDelivery = {
    id: state.nextId(),
    guid,
    delivered_at: new Date(started).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    redelivery: redeliveryOf !== undefined,
    duration: (Date.now() - started) / 1000,
    status,
    status_code: statusCode,
    event,
    action: typeof parsed.action === 'string' ? parsed.action : null,
    installation_id: typeof parsed.installation?.id === 'number' ? parsed.installation.id : null,
    repository_id: typeof parsed.repository?.id === 'number' ? parsed.repository.id : null,
    throttled_at: null,
    body,
  };
  state.hookDeliveries.push(delivery);
  return delivery;
}

/**
 * The App's webhook deliveries, with its JWT: `GET /app/hook/deliveries` newest first, paged by
 * `cursor` (a `Link` rel="next" only, as GitHub pages them), one of them by id, and
 * `POST /app/hook/deliveries/:id/attempts`, which answers 202 and redelivers it afterwards.
 */
export function createHookDeliveryRoutes(state: GitHubState, secret: string): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/app/hook/deliveries', (c) => {
    requireApp(c);
    const url = new URL(c.req.url);
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page')) || 30, 1), 100);
    const cursor = url.searchParams.get('cursor');
    const newestFirst = [...state.hookDeliveries].reverse();
    const from = cursor === null ? 0 : newestFirst.findIndex((d) => d.id < Number(cursor));
    const page = from < 0 ? [] : newestFirst.slice(from, from + perPage);
    const last = page.at(-1);
    const more = last !== undefined && newestFirst.indexOf(last) < newestFirst.length - 1;
    const headers: Record<string, string> = {};
    if (more) {
      const next = new URL(url);
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('cursor', String(last.id));
      headers.link = `<${next}>; rel="next"`;
    }
    return reply(200, page.map(listed), headers);
  });

  const find = (c: Context<GitHubEnv>) => {
    requireApp(c);
    const delivery = state.hookDeliveries.find((d) => d.id === Number(c.req.param('id')));
    if (!delivery) throw notFound();
    return delivery;
  };

  app.get('/app/hook/deliveries/:id', (c) => reply(200, listed(find(c))));

  app.post('/app/hook/deliveries/:id/attempts', (c) => {
    const delivery = find(c);
    state.redeliveries.push(sendWebhook(state, secret, delivery.event, {}, delivery));
    return reply(202, {});
  });

  return app;
}
