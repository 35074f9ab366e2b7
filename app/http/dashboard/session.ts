import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isSlipwayError } from '../../../core/errors.js';
import type { Auth, AuthVariables, Identity } from '../auth.js';
import { baseUrl, dashboardRoot } from '../links.js';

/** The cookie holding the API token a person signed in with. */
export const SESSION_COOKIE = 'slipway_session';

export type DashboardEnv = { Variables: AuthVariables };

/** Whether the browser reached us over https (itself, or through a trusted proxy). */
function overHttps(c: Context<{ Variables: AuthVariables }>): boolean {
  return baseUrl(c).startsWith('https:');
}

/** Keeps the token in an HttpOnly, SameSite=Strict cookie; Secure whenever the page is https. */
export function openSession(c: Context<{ Variables: AuthVariables }>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: dashboardRoot(c),
    secure: overHttps(c),
  });
}

export function closeSession(c: Context<{ Variables: AuthVariables }>): void {
  const root = dashboardRoot(c);
  deleteCookie(c, SESSION_COOKIE, { path: root, secure: overHttps(c) });
  // One set at the host's root before the dashboard moved under a prefix would sign in again.
  if (root !== '/') deleteCookie(c, SESSION_COOKIE, { path: '/', secure: overHttps(c) });
}

/**
 * The identity of the session cookie's token, or null when there is none or it is no longer
 * valid (revoked token, changed JWT secret). Any other failure is a real error and propagates.
 */
export async function sessionIdentity(
  c: Context<{ Variables: AuthVariables }>,
  auth: Auth,
): Promise<Identity | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  try {
    return await auth.verifyToken(token);
  } catch (error) {
    if (isSlipwayError(error) && error.code === 'UNAUTHENTICATED') return null;
    throw error;
  }
}

/**
 * Middleware for the dashboard's own paths: pages without a valid session redirect to the login
 * form; the JSON endpoints the live scripts poll answer 401 instead (a script cannot follow a
 * login form) and the script sends the person there.
 */
export function requireSession(auth: Auth, as: 'page' | 'json'): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (!(await sessionIdentity(c, auth))) {
      if (getCookie(c, SESSION_COOKIE) !== undefined) closeSession(c);
      const login = `${dashboardRoot(c)}login`;
      if (as === 'json') return c.json({ message: `sign in at ${login}` }, 401);
      // Back to the page asked for once signed in: a job's link (the Action's `url`, a check
      // run's details) must land on the job, not on the overview.
      const next = returnPath(c.req.path.slice(1));
      return c.redirect(next ? `${login}?next=${encodeURIComponent(next)}` : login, 302);
    }
    await next();
  };
}

/**
 * Where sign-in may send a person back to, relative to the dashboard's root: a job's page, and
 * nothing else, so that a link to the sign-in form cannot send anyone elsewhere.
 *
 * @example
 * returnPath('jobs/6f1c0a2e-...')  // 'jobs/6f1c0a2e-...'
 * returnPath('//evil.example/')     // undefined
 */
export function returnPath(path: string | undefined): string | undefined {
  return path !== undefined && /^jobs\/[0-9A-Za-z-]{1,64}$/.test(path) ? path : undefined;
}
