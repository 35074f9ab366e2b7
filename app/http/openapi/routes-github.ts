import { z } from 'zod';
import { message } from './common-schemas.js';
import { header, type RouteSpec, requestBody, responseBody } from './route-spec.js';

const delivered = responseBody(
  'GitHubDelivery',
  z.object({
    delivery: z.string(),
    event: z.string(),
    jobs: z.array(
      z.object({
        workspace: z.string(),
        job: z.string(),
        kind: z.enum(['deploy', 'plan']),
        created: z.boolean().describe('false: a redelivery found the job it queued before'),
        held: z
          .literal(true)
          .optional()
          .describe("not deployed: the workspace's deploys are paused (the job is STOPPED)"),
      }),
    ),
    ignored: z.string().optional().describe('Why nothing was queued'),
    previews: z
      .array(
        z.union([
          z.object({ workspace: z.string(), action: z.enum(['made', 'removing', 'remaking']) }),
          z.object({ refused: z.string() }),
        ]),
      )
      .optional()
      .describe(
        "A pull request's preview workspaces: made, being removed (it closed), to be made again once removed (reopened meanwhile), or why none was made",
      ),
  }),
  'What one delivery queued (DeliveryOutcome of app/github/slipway-app.ts).',
);

const payload = requestBody(
  'GitHubWebhookPayload',
  z.looseObject({}).describe('A GitHub webhook event payload'),
);

/** `POST /api/github/webhooks`, the GitHub App (DESIGN.md section 8). */
export const gitHubRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/api/github/webhooks',
    operationId: 'receiveGitHubAppWebhook',
    summary: "The GitHub App's webhook: push, pull_request, check_run, installation",
    description:
      'Verified with `X-Hub-Signature-256` and the WEBHOOK_SECRET before anything reads the body; handlers only queue jobs.',
    tags: ['GitHub App'],
    access: 'public',
    params: [
      header('X-GitHub-Delivery', 'The delivery id', true),
      header('X-GitHub-Event', 'The event name', true),
      header('X-Hub-Signature-256', 'sha256=<HMAC-SHA256 of the body with WEBHOOK_SECRET>', true),
    ],
    body: { schema: payload, required: true },
    responses: {
      202: { description: 'Received: the jobs queued, or why none', schema: delivered },
      400: { description: 'A header is missing, or the body is not JSON', schema: message },
      401: { description: 'The signature does not match', schema: message },
      503: {
        description: 'The GitHub App is off (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)',
        schema: message,
      },
      default: { description: 'Unexpected error', schema: message },
    },
  },
];
