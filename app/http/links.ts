import type { Context } from 'hono';
import { type AuthVariables, peerAddress } from './auth.js';

/**
 * Scheme, host and port links are built on: the request's own, or `X-Forwarded-Proto` /
 * `X-Forwarded-Host` when a trusted peer (a proxy in SLIPWAY_IDENTITY_CIDRS) sent them.
 */
export function baseUrl(c: Context<{ Variables: AuthVariables }>): string {
  const url = new URL(c.req.url);
  let protocol = url.protocol.slice(0, -1);
  let host = url.host;
  const forwardedProto = firstValue(c.req.header('x-forwarded-proto'))?.toLowerCase();
  const forwardedHost = firstValue(c.req.header('x-forwarded-host'));
  // The peer is only looked up when it asks for something: that costs more than the rest.
  if ((forwardedProto || forwardedHost) && c.get('auth')?.isTrustedPeer(peerAddress(c))) {
    if (forwardedProto === 'http' || forwardedProto === 'https') protocol = forwardedProto;
    if (forwardedHost && /^[A-Za-z0-9.\-:[\]]+$/.test(forwardedHost)) host = forwardedHost;
  }
  return `${protocol}://${host}`;
}

function firstValue(header: string | undefined): string | undefined {
  return header?.split(',')[0]?.trim() || undefined;
}
