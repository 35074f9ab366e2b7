import type { Context } from 'hono';
import { type AuthVariables, peerAddress } from './auth.js';

/**
 * Scheme, host, port and path prefix links are built on: the request's own, or
 * `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix` when a trusted peer (a proxy in
 * SLIPWAY_IDENTITY_CIDRS) sent them.
 */
export function baseUrl(c: Context<{ Variables: AuthVariables }>): string {
  const { protocol, host, prefix } = origin(c);
  return `${protocol}://${host}${prefix}`;
}

/**
 * Where the dashboard's pages are for the browser: `/`, or the path prefix a trusted proxy
 * serves Slipway under (`X-Forwarded-Prefix: /slipway` gives `/slipway/`). Its pages link
 * relative to it (an HTML `<base>`); redirects and the session cookie's path need it whole.
 */
export function dashboardRoot(c: Context<{ Variables: AuthVariables }>): string {
  return `${origin(c).prefix}/`;
}

/** The parts of {@link baseUrl}; `prefix` is empty or starts with `/`, without a trailing one. */
function origin(c: Context<{ Variables: AuthVariables }>): {
  protocol: string;
  host: string;
  prefix: string;
} {
  const url = new URL(c.req.url);
  let protocol = url.protocol.slice(0, -1);
  let host = url.host;
  let prefix = '';
  const forwardedProto = firstValue(c.req.header('x-forwarded-proto'))?.toLowerCase();
  const forwardedHost = firstValue(c.req.header('x-forwarded-host'));
  const forwardedPort = firstValue(c.req.header('x-forwarded-port'));
  const forwardedPrefix = firstValue(c.req.header('x-forwarded-prefix'));
  const forwarded = forwardedProto || forwardedHost || forwardedPort || forwardedPrefix;
  // The peer is only looked up when it asks for something: that costs more than the rest.
  if (forwarded && c.get('auth')?.isTrustedPeer(peerAddress(c))) {
    if (forwardedProto === 'http' || forwardedProto === 'https') protocol = forwardedProto;
    // A host that does not make a URL (`a:b:c`, a port past 65535) is left out, as a bad
    // prefix is: links built on it would be broken.
    if (forwardedHost && isHost(forwardedHost)) host = forwardedHost;
    // A port only where the host names none; the scheme's own port is left out, as URLs do.
    if (forwardedPort && /^\d{1,5}$/.test(forwardedPort) && !/:\d+$/.test(host)) {
      const standard =
        (protocol === 'https' && forwardedPort === '443') ||
        (protocol === 'http' && forwardedPort === '80');
      if (!standard && isHost(`${host}:${forwardedPort}`)) host = `${host}:${forwardedPort}`;
    }
    if (forwardedPrefix && /^(\/[A-Za-z0-9._~-]+)+\/?$/.test(forwardedPrefix)) {
      prefix = forwardedPrefix.replace(/\/$/, '');
    }
  }
  return { protocol, host, prefix };
}

/** Whether `host` (with its port, if any) is a URL's host, as a browser would take it. */
function isHost(host: string): boolean {
  return /^[A-Za-z0-9.\-:[\]]+$/.test(host) && URL.canParse(`http://${host}/`);
}

function firstValue(header: string | undefined): string | undefined {
  return header?.split(',')[0]?.trim() || undefined;
}
