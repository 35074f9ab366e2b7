import type { Auth } from './authenticate.js';
import type { GitHubFault } from './fault-injector.js';
import { DOCUMENTATION_URL } from './github-error.js';
import { rateLimitHeaders } from './rate-limits.js';
import { reply } from './reply.js';

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Bad credentials',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Validation Failed',
  500: 'Server Error',
  503: 'Service Unavailable',
  504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
};

// GitHub's edge answers 502 with an HTML page, not JSON; clients must cope with that too.
const UNICORN =
  '<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head><body>No server is currently available to service your request.</body></html>\n';

function rateLimitedFor(auth: Auth, appId: number): string {
  if (auth.kind === 'installation') return `installation ID ${auth.grant?.installationId}`;
  if (auth.kind === 'jwt') return `app ID ${appId}`;
  return '127.0.0.1';
}

/** The answer a fault stands for, or undefined when it only delays or holds the request. */
export function faultResponse(
  fault: GitHubFault,
  context: { auth: Auth; requestId: string; appId: number },
): Response | undefined {
  if (fault.secondaryRateLimit) {
    return reply(
      403,
      {
        message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${context.requestId}.`,
        documentation_url: DOCUMENTATION_URL,
      },
      { 'retry-after': '1' },
    );
  }
  if (fault.rateLimit) {
    const limit = context.auth.kind === 'none' ? 60 : 5000;
    const reset = Math.floor(Date.now() / 1000) + 1;
    return reply(
      403,
      {
        message: `API rate limit exceeded for ${rateLimitedFor(context.auth, context.appId)}.`,
        documentation_url: DOCUMENTATION_URL,
      },
      rateLimitHeaders({ limit, remaining: 0, reset, used: limit }),
    );
  }
  if (fault.status === undefined) return undefined;
  if (fault.status === 502) {
    return new Response(UNICORN, {
      status: 502,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
  }
  const message = STATUS_MESSAGES[fault.status] ?? 'Server Error';
  return reply(fault.status, { message, documentation_url: DOCUMENTATION_URL });
}
