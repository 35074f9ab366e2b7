import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BlockList } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { SlipwayError } from '../../core/errors.js';
import type { Store } from '../../core/store/types.js';
import { type Clock, isoTime } from '../../core/types.js';

/** Who is calling, and how they proved it (DESIGN.md section 9). */
export interface Identity {
  /** `admin`, `token:<name>`, or the e-mail (or subject) of a JWT or `Identity` header. */
  subject: string;
  method: 'admin' | 'token' | 'jwt' | 'identity-header';
  admin: boolean;
}

export interface AuthOptions {
  adminToken: string;
  store: Store;
  clock: Clock;
  /** Peers whose `Identity` header is trusted. */
  trustedPeers: BlockList;
  jwtSecret?: string;
  jwksUrl?: string;
  /** When set, a JWT's `iss` must be this (SLIPWAY_JWT_ISSUER). */
  jwtIssuer?: string;
  /** When set, a JWT's `aud` must name this (SLIPWAY_JWT_AUDIENCE). */
  jwtAudience?: string;
}

/** What the auth middleware puts on every request's context. */
export type AuthVariables = { auth: Auth; identity?: Identity | null };

/** A new random token in Slipway's recognizable format. */
export function generateToken(): string {
  return `slw_${randomBytes(32).toString('base64url')}`;
}

/** How stored API tokens are kept: only this hash. */
export function hashToken(token: string): string {
  return tokenDigest(token).toString('hex');
}

/** SHA-256 of a token, in one call: every authenticated request takes this. */
function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** How finely an API token's last use is kept (`GET /api/tokens`). */
const LAST_USED_RESOLUTION_MS = 60_000;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const IDENTITY_SHAPE = /^[^\s@]+@[^\s@]+$|^[A-Za-z0-9._-]{1,200}$/;
/** A JWT's subject as identity providers write them (`auth0|5f3c`, an e-mail, a number as text). */
const JWT_SUBJECT_SHAPE = /^[^\s\p{C}]{1,256}$/u;

/**
 * Subjects Slipway gives its own callers: `admin` (the admin token), `token:<name>` (API tokens),
 * `github` and `github:<login>` (the GitHub App). Workspaces record their creator's subject and
 * show the deployment secret to it, so a JWT or `Identity` header naming one of these would act
 * as that caller; such a subject is refused instead.
 */
const RESERVED_SUBJECT = /^(admin|github)$|^(token|github):/i;

/** Why `subject` may not come from a JWT or an Identity header; null when it may. */
function reservedSubject(subject: string): string | null {
  return RESERVED_SUBJECT.test(subject.trim())
    ? `the subject "${subject}" is reserved for Slipway's own tokens (admin, token:<name>, github); expected a user's e-mail address or name`
    : null;
}

/**
 * Authenticates requests: the admin token, a stored API token or a JWT as `Authorization:
 * Bearer`; a JWT in the `authtoken` cookie; an `Identity` header from a trusted peer. A bad
 * credential is an error (401), never silently anonymous; no credential at all is `null`.
 */
export class Auth {
  private readonly adminDigest: Buffer;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private readonly secret: Uint8Array | undefined;

  constructor(private readonly options: AuthOptions) {
    this.adminDigest = tokenDigest(options.adminToken);
    this.jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
    this.secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  }

  /** The caller's identity, null when they sent no credential; UNAUTHENTICATED when it is bad. */
  async identify(c: Context): Promise<Identity | null> {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) return this.fromAuthorization(authorization);
    const cookie = getCookie(c, 'authtoken');
    if (cookie !== undefined) {
      // The cookie carries a JWT only (seed 001): an API token there is a mistake of its own.
      if (!JWT_SHAPE.test(cookie)) {
        throw new SlipwayError(
          'UNAUTHENTICATED',
          'the authtoken cookie is not a JWT; expected a JWT there (send an API token as "Authorization: Bearer <token>")',
        );
      }
      return this.fromJwt(cookie, 'the authtoken cookie');
    }
    const header = c.req.header('identity');
    if (header !== undefined) return this.fromIdentityHeader(c, header);
    return null;
  }

  /** The identity of a bearer token (admin, API token or JWT); UNAUTHENTICATED when it is bad. */
  verifyToken(token: string): Promise<Identity> {
    return this.fromAuthorization(`Bearer ${token}`);
  }

  /**
   * Middleware: makes this Auth available to handlers. Credentials are checked lazily, by the
   * routes that need them, so a public route (a signed webhook) is not refused for a stray header.
   */
  readonly middleware: MiddlewareHandler<{ Variables: AuthVariables }> = async (c, next) => {
    c.set('auth', this);
    await next();
  };

  /** Whether `address` may speak for others (`Identity`, `X-Forwarded-*`). */
  isTrustedPeer(address: string | undefined): boolean {
    if (!address) return false;
    const mapped = address.startsWith('::ffff:') ? address.slice(7) : address;
    const family = mapped.includes(':') ? 'ipv6' : 'ipv4';
    return this.options.trustedPeers.check(mapped, family);
  }

  private async fromAuthorization(header: string): Promise<Identity> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new SlipwayError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
    }
    const token = match[1];
    const digest = tokenDigest(token);
    if (timingSafeEqual(digest, this.adminDigest)) {
      return { subject: 'admin', method: 'admin', admin: true };
    }
    if (JWT_SHAPE.test(token)) return this.fromJwt(token, 'the bearer token');
    const stored = this.options.store.findApiTokenByHash(digest.toString('hex'));
    if (!stored) throw new SlipwayError('UNAUTHENTICATED', 'bearer token is not valid');
    // When a token was last used is kept to the minute, so a client polling a job does not make
    // every read a write to the database.
    const now = this.options.clock.now();
    if (stored.lastUsed === null || now - Date.parse(stored.lastUsed) >= LAST_USED_RESOLUTION_MS) {
      this.options.store.touchApiToken(stored.id, isoTime(now));
    }
    return { subject: `token:${stored.name}`, method: 'token', admin: false };
  }

  private async fromJwt(token: string, where: string): Promise<Identity> {
    if (!this.secret && !this.jwks) {
      throw new SlipwayError(
        'UNAUTHENTICATED',
        `${where} is a JWT, but JWT authentication is off (set SLIPWAY_JWT_SECRET or SLIPWAY_JWKS_URL)`,
      );
    }
    // A JWT without `exp` would be valid forever; the issuer and audience are checked when set.
    const checks = {
      requiredClaims: ['exp'],
      ...(this.options.jwtIssuer ? { issuer: this.options.jwtIssuer } : {}),
      ...(this.options.jwtAudience ? { audience: this.options.jwtAudience } : {}),
    };
    let payload: JWTPayload;
    try {
      payload = this.secret
        ? (await jwtVerify(token, this.secret, { ...checks, algorithms: ['HS256'] })).payload
        : (
            await jwtVerify(token, this.jwks as NonNullable<typeof this.jwks>, {
              ...checks,
              algorithms: ['RS256', 'ES256'],
            })
          ).payload;
    } catch (error) {
      const claim = (error as { claim?: string }).claim;
      const expected =
        claim === 'iss' && this.options.jwtIssuer
          ? `; expected "${this.options.jwtIssuer}" (SLIPWAY_JWT_ISSUER)`
          : claim === 'aud' && this.options.jwtAudience
            ? `; expected "${this.options.jwtAudience}" (SLIPWAY_JWT_AUDIENCE)`
            : '';
      throw new SlipwayError(
        'UNAUTHENTICATED',
        `${where} is not a valid JWT: ${(error as Error).message}${expected}`,
      );
    }
    const claim = typeof payload.email === 'string' ? 'email' : 'sub';
    const subject: unknown = payload[claim];
    if (subject === undefined || subject === null || subject === '') {
      throw new SlipwayError(
        'UNAUTHENTICATED',
        `${where} has neither an "email" nor a "sub" claim`,
      );
    }
    // The subject names its holder in job logs and messages: no line breaks or terminal escapes.
    if (typeof subject !== 'string' || !JWT_SUBJECT_SHAPE.test(subject)) {
      throw new SlipwayError(
        'UNAUTHENTICATED',
        `${where} is refused: its "${claim}" claim is not a name; expected a string of up to 256 characters without spaces or control characters`,
      );
    }
    const reserved = reservedSubject(subject);
    if (reserved) {
      throw new SlipwayError('UNAUTHENTICATED', `${where} is refused: ${reserved}`);
    }
    return { subject, method: 'jwt', admin: false };
  }

  private fromIdentityHeader(c: Context, value: string): Identity {
    const address = peerAddress(c);
    if (!this.isTrustedPeer(address)) {
      throw new SlipwayError(
        'UNAUTHENTICATED',
        `the Identity header is only trusted from SLIPWAY_IDENTITY_CIDRS; ${address ?? 'this peer'} is not in them (send a JWT instead)`,
      );
    }
    const subject = value.trim();
    if (!IDENTITY_SHAPE.test(subject)) {
      throw new SlipwayError(
        'UNAUTHENTICATED',
        'the Identity header must be an e-mail address or a user name',
      );
    }
    const reserved = reservedSubject(subject);
    if (reserved) {
      throw new SlipwayError('UNAUTHENTICATED', `the Identity header is refused: ${reserved}`);
    }
    return { subject, method: 'identity-header', admin: false };
  }
}

/** The TCP peer's address, when the request came through a Node server. */
export function peerAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** The caller's identity (checked once per request), or null when they sent no credential. */
export async function identityOf(
  c: Context<{ Variables: AuthVariables }>,
): Promise<Identity | null> {
  const known = c.get('identity');
  if (known !== undefined) return known;
  const identity = await c.get('auth').identify(c);
  c.set('identity', identity);
  return identity;
}

/** Throws UNAUTHENTICATED unless the request carried a valid credential. */
export async function requireIdentity(c: Context<{ Variables: AuthVariables }>): Promise<Identity> {
  const identity = await identityOf(c);
  if (!identity) {
    throw new SlipwayError(
      'UNAUTHENTICATED',
      'authentication required: send "Authorization: Bearer <token>"',
    );
  }
  return identity;
}

/** Throws FORBIDDEN unless the caller is the admin. */
export async function requireAdmin(c: Context<{ Variables: AuthVariables }>): Promise<Identity> {
  const identity = await requireIdentity(c);
  if (!identity.admin) throw new SlipwayError('FORBIDDEN', 'only the admin token may do this');
  return identity;
}
