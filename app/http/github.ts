import { Hono } from 'hono';
import type { Logger } from '../../core/types.js';
import type { GitHubApp } from '../github/github-app.js';
import { payloadProblem } from '../github/webhook-payloads.js';
import type { Metrics } from '../metrics.js';

/**
 * The events that get their own series in `slipway_webhook_deliveries_total`: what the App
 * subscribes to (app.yml), handles or is sent unasked. Any other verified event counts as
 * `other`; a refused delivery as `unverified`, since its X-GitHub-Event is whatever the sender
 * wrote, and one series per value would let anyone grow the metrics without bound.
 */
const COUNTED_EVENTS = new Set([
  'push',
  'pull_request',
  'check_run',
  'check_suite',
  'installation',
  'installation_repositories',
  'ping',
]);

const OFF_MESSAGE =
  'the GitHub App is off: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET to turn it on';

/**
 * `POST /api/github/webhooks`: the GitHub App's webhook (DESIGN.md section 8). The signature is
 * checked on the raw body before anything reads it; a missing or bad one is a 401 and the
 * payload is neither parsed nor logged. A payload unlike GitHub's is a 400 naming the field. A
 * verified event goes to Probot, whose handlers only queue jobs, and the answer (202) says which
 * jobs the delivery queued, or why it queued none.
 */
export function createGitHubWebhookApp({
  github,
  logger,
  metrics,
}: {
  github: GitHubApp | undefined;
  logger: Logger;
  metrics: Metrics;
}) {
  const app = new Hono();
  const count = (event: string, outcome: string) =>
    metrics.webhooks.inc({
      source: 'github-app',
      event: COUNTED_EVENTS.has(event) ? event : 'other',
      outcome,
    });
  app.post('/api/github/webhooks', async (c) => {
    if (!github) return c.json({ message: OFF_MESSAGE }, 503);
    const id = c.req.header('x-github-delivery');
    const name = c.req.header('x-github-event');
    const signature = c.req.header('x-hub-signature-256');
    // The signature first: what an unsigned request says of itself is not worth an answer.
    if (!signature) {
      metrics.webhooks.inc({ source: 'github-app', event: 'unverified', outcome: 'refused' });
      return c.json(
        { message: 'the X-Hub-Signature-256 header is missing; GitHub signs every delivery' },
        401,
      );
    }
    const body = await c.req.text();
    if (!(await github.verify(body, signature))) {
      metrics.webhooks.inc({ source: 'github-app', event: 'unverified', outcome: 'refused' });
      logger.warn(
        { delivery: id?.slice(0, 100), event: name?.slice(0, 100) },
        'webhook refused: bad signature',
      );
      return c.json(
        { message: 'X-Hub-Signature-256 does not match the body signed with the WEBHOOK_SECRET' },
        401,
      );
    }
    for (const [header, value] of [
      ['X-GitHub-Delivery', id],
      ['X-GitHub-Event', name],
    ] as const) {
      if (!value) return c.json({ message: `the ${header} header is missing` }, 400);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return c.json({ message: 'the body is not JSON' }, 400);
    }
    const problem = payloadProblem(name as string, payload);
    if (problem) {
      count(name as string, 'malformed');
      // The field, never its value: a payload may carry anything, and none of it is logged.
      logger.warn(
        { delivery: id, event: name, field: problem.field },
        'webhook refused: malformed payload',
      );
      return c.json(
        { message: `the ${name} payload is not one GitHub sends: ${problem.message}` },
        400,
      );
    }
    const outcome = await github.receive(id as string, name as string, payload);
    count(
      name as string,
      outcome.jobs.some((j) => j.created && !j.held)
        ? 'queued'
        : outcome.jobs.some((j) => j.created)
          ? 'held'
          : outcome.jobs.length > 0
            ? 'redelivery'
            : 'ignored',
    );
    logger.info(
      { delivery: id, event: name, jobs: outcome.jobs.map((j) => j.job), ignored: outcome.ignored },
      'webhook received',
    );
    return c.json({ delivery: id, event: name, ...outcome }, 202);
  });
  return app;
}
