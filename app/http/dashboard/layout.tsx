import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { dashboardRoot } from '../links.js';
import { badgeClass } from './format.js';
import { STYLES } from './styles.js';

/** A status, unchanged (DESIGN.md section 3), as a colored badge. */
export function Badge({ status, id }: { status: string; id?: string }) {
  return (
    <span class={badgeClass(status)} id={id} data-badge="">
      {status}
    </span>
  );
}

/** A UTC timestamp shown compactly, the full value in `datetime`. */
export function Time({ iso, text }: { iso: string | null | undefined; text: string }) {
  return iso ? <time datetime={iso}>{text}</time> : <span class="muted">never</span>;
}

interface PageOptions {
  title: string;
  body: Child;
  status?: ContentfulStatusCode;
  /** Whether to offer "Sign out" (a session is open). */
  signedIn?: boolean;
  /** Static JavaScript of this module's own (never request data); runs under the page's nonce. */
  script?: string;
}

/**
 * Sends a whole page: inline styles, an optional inline script allowed by a per-response CSP
 * nonce, and nothing fetched from elsewhere. Never cached: it shows live state behind a login.
 */
export function sendPage(c: Context, options: PageOptions) {
  const nonce = randomBytes(16).toString('base64');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'`,
  );
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Content-Type-Options', 'nosniff');
  const page = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <base href={dashboardRoot(c)} />
        <link rel="icon" href="data:," />
        <title>{`${options.title} · Slipway`}</title>
        <style>{raw(STYLES)}</style>
      </head>
      <body>
        <header>
          <a href="./">Slipway</a>
          {options.signedIn ? (
            <form method="post" action="logout">
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main>{options.body}</main>
        {options.script ? <script nonce={nonce}>{raw(options.script)}</script> : null}
      </body>
    </html>
  );
  return c.html(
    <>
      {raw('<!doctype html>')}
      {page}
    </>,
    options.status ?? 200,
  );
}
