import { compactVerify } from 'jose';
import { badCredentials, type GitHubError, jwtRefused } from './github-error.js';
import type { GitHubState, TokenGrant } from './github-state.js';

export type AuthKind = 'jwt' | 'installation' | 'none' | 'bad';

/** Who a request is: the App (JWT), an installation (token), nobody, or refused credentials. */
export interface Auth {
  kind: AuthKind;
  grant?: TokenGrant;
  /** Why credentials were refused (kind 'bad'). */
  error?: GitHubError;
}

/** Clock skew GitHub tolerates on `iat` and `exp`. */
const SKEW_S = 60;
const MAX_JWT_LIFETIME_S = 600;

// GitHub's own messages; @octokit/auth-app matches the `iat`/`exp` ones to retry with the clock
// difference read from the `Date` header.
const UNDECODABLE = 'A JSON web token could not be decoded';
const BAD_ISSUER = "'Issuer' claim ('iss') must be an Integer";
const BAD_IAT =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.";
const BAD_EXP =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.";
const EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future.";

function refused(error: GitHubError): Auth {
  return { kind: 'bad', error };
}

async function verifyAppJwt(jwt: string, state: GitHubState): Promise<Auth> {
  let claims: Record<string, unknown>;
  try {
    const { payload } = await compactVerify(jwt, state.app.publicKey, { algorithms: ['RS256'] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    return refused(jwtRefused(UNDECODABLE));
  }
  const { iss, iat, exp } = claims;
  if (typeof iss !== 'number' && !(typeof iss === 'string' && /^\d+$/.test(iss)))
    return refused(jwtRefused(BAD_ISSUER));
  if (Number(iss) !== state.app.id) return refused(jwtRefused(UNDECODABLE));
  const now = Date.now() / 1000;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now + SKEW_S)
    return refused(jwtRefused(BAD_IAT));
  if (typeof exp !== 'number' || exp <= now) return refused(jwtRefused(BAD_EXP));
  if (exp - iat > MAX_JWT_LIFETIME_S + SKEW_S || exp > now + MAX_JWT_LIFETIME_S + SKEW_S)
    return refused(jwtRefused(EXP_TOO_FAR));
  return { kind: 'jwt' };
}

function tokenAuth(token: string, state: GitHubState): Auth {
  const grant = state.grant(token);
  return grant ? { kind: 'installation', grant } : refused(badCredentials());
}

/**
 * Reads the Authorization header: `Bearer <jwt>` for the App, `token|Bearer ghs_...` or HTTP
 * Basic with the token as password (git's `x-access-token:<token>`) for an installation.
 */
export async function authenticate(header: string | undefined, state: GitHubState): Promise<Auth> {
  if (!header?.trim()) return { kind: 'none' };
  const [scheme = '', credential = ''] = header.trim().split(/\s+/, 2);
  switch (scheme.toLowerCase()) {
    case 'basic': {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      return tokenAuth(decoded.slice(decoded.indexOf(':') + 1), state);
    }
    case 'bearer':
    case 'token':
      return credential.split('.').length === 3
        ? verifyAppJwt(credential, state)
        : tokenAuth(credential, state);
    default:
      return refused(badCredentials());
  }
}

/** The Hono environment of every route: who is calling, and the request's id. */
export interface GitHubEnv {
  Variables: { auth: Auth; requestId: string };
}
