import { statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { redact } from '../core/source/index.js';

/** Levels pino knows, plus `silent`. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a port number from 0 to 65535` })
    .transform(Number)
    .refine((n) => n <= 65_535, { error: `expected a port number from 0 to 65535` })
    .describe(name);

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, {
      error: `expected a whole number from ${min} to ${max}`,
    });

const nonEmpty = z.string().trim().min(1, { error: 'expected a non-empty value' });
/** A directory read later: one not there yet is fine (it may come), a file in its place is not. */
const directoryOrAbsent = nonEmpty.refine(
  (dir) => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return true;
    }
  },
  { error: 'expected a directory, and this is a file' },
);

/** `ghe.example.com`, `ghe.example.com:8443`, `10.0.0.5`: a host, no scheme, no path. */
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

/** A `host:port` names a port a server can listen on (1 to 65535); a host alone is fine. */
function hostPortInRange(host: string): boolean {
  const port = /:(\d+)$/.exec(host)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

const cidrList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .superRefine((cidrs, ctx) => {
    for (const cidr of cidrs) {
      if (!parseCidr(cidr)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${cidr}" is not a CIDR; expected a comma-separated list like 127.0.0.1/32,::1/128`,
        });
      }
    }
  });

/** Where Slipway keeps its database, caches and admin token unless SLIPWAY_DATA_DIR says. */
export const DEFAULT_DATA_DIR = './.slipway';

/** The environment Slipway reads (DESIGN.md section 2), and nothing else. */
const envSchema = z.object({
  PORT: port('PORT').default(3000),
  HOST: nonEmpty
    .refine((value) => isIP(value) !== 0 || value === 'localhost', {
      error: 'expected an IP address to bind (e.g. 127.0.0.1 or 0.0.0.0)',
    })
    .default('127.0.0.1'),
  SLIPWAY_DATA_DIR: nonEmpty.default(DEFAULT_DATA_DIR),
  // A token from a file-mounted Secret ends in a newline; no client sends it, so it is trimmed.
  SLIPWAY_ADMIN_TOKEN: z
    .string()
    .trim()
    .refine((token) => !/\s/.test(token), {
      error: 'expected one token without spaces or line breaks inside it',
    })
    .refine((token) => token.length >= 16, {
      error: 'expected at least 16 characters (use a long random token)',
    })
    .optional(),
  SLIPWAY_RUNTIME: z
    .enum(['local', 'kubernetes'], { error: 'expected "local" or "kubernetes"' })
    .default('local'),
  KUBECONFIG: nonEmpty.optional(),
  SLIPWAY_REPOS_DIR: directoryOrAbsent.default('./repos'),
  SLIPWAY_TEMPLATES_DIR: directoryOrAbsent.default('./templates'),
  SLIPWAY_JWT_SECRET: z
    .string()
    .min(32, { error: 'expected at least 32 characters for an HS256 secret' })
    .optional(),
  SLIPWAY_JWKS_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL of a JWKS document' })
    // Keys fetched over plain http could be swapped by anyone on the path; loopback is local.
    // Run even when the URL check failed (zod goes on): a value that is no URL is left to it.
    .refine(
      (url) =>
        !URL.canParse(url) ||
        new URL(url).protocol === 'https:' ||
        isLoopbackHost(new URL(url).hostname),
      { error: 'expected an https URL (plain http only to a loopback host)' },
    )
    .optional(),
  // Where people reach Slipway (behind a proxy, its public address): links to a job's page.
  SLIPWAY_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected the http(s) URL people open Slipway at' })
    .refine((url) => !URL.canParse(url) || (!new URL(url).search && !new URL(url).hash), {
      error: 'expected an http(s) URL without a query or fragment',
    })
    // It is published in every check run: credentials there would be shown to everyone.
    .refine((url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password), {
      error: 'expected an http(s) URL without credentials (it is shown on GitHub)',
    })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  SLIPWAY_JWT_ISSUER: nonEmpty.optional(),
  SLIPWAY_JWT_AUDIENCE: nonEmpty.optional(),
  SLIPWAY_IDENTITY_CIDRS: cidrList.default(['127.0.0.1/32', '::1/128']),
  SLIPWAY_WORKERS: wholeNumber(1, 64).default(4),
  SLIPWAY_SHUTDOWN_GRACE_SECONDS: wholeNumber(0, 3600).default(25),
  SLIPWAY_TASK_TIMEOUT_SECONDS: wholeNumber(1, 86_400).default(600),
  SLIPWAY_POLL_SECONDS: wholeNumber(0, 86_400).default(0),
  SLIPWAY_DRIFT_SECONDS: wholeNumber(0, 86_400).default(0),
  SLIPWAY_SELF_HEAL: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // Where a job's end is told (a Slack or Teams incoming webhook, a receiver of one's own). Its
  // path often is its credential (Slack's), so it is treated as a secret.
  SLIPWAY_NOTIFY_URL: z
    .url({ protocol: /^https?$/, error: 'expected the http(s) URL to POST notifications to' })
    // fetch refuses a URL with credentials: every notification would fail, each one later.
    .refine((url) => !URL.canParse(url) || (!new URL(url).username && !new URL(url).password), {
      error:
        'expected an http(s) URL without credentials (fetch sends none; sign with SLIPWAY_NOTIFY_SECRET instead)',
    })
    .optional(),
  // Trimmed, as the admin token is: a file-mounted Secret ends in a newline no receiver signs with.
  SLIPWAY_NOTIFY_SECRET: z
    .string()
    .trim()
    .min(16, { error: 'expected at least 16 characters (use a long random secret)' })
    .optional(),
  SLIPWAY_NOTIFY_ON: z
    .enum(['failures', 'all'], { error: 'expected "failures" or "all"' })
    .default('failures'),
  APP_ID: z.string().regex(/^\d+$/, { error: 'expected the numeric GitHub App id' }).optional(),
  PRIVATE_KEY: nonEmpty.optional(),
  PRIVATE_KEY_PATH: nonEmpty.optional(),
  WEBHOOK_SECRET: nonEmpty.optional(),
  // Probot builds `${GHE_PROTOCOL}://${GHE_HOST}/api/v3`: a scheme or path here breaks every call.
  GHE_HOST: nonEmpty
    .regex(HOST_NAME, {
      error:
        'expected a host name like ghe.example.com (optionally :port), without a scheme or path; set GHE_PROTOCOL=http for plain http',
    })
    .refine(hostPortInRange, {
      error: 'expected a port from 1 to 65535 after the host name',
    })
    .optional(),
  GHE_PROTOCOL: z.enum(['http', 'https'], { error: 'expected http or https' }).optional(),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
});

export type Env = z.infer<typeof envSchema> & {
  /** Absolute forms of the directories. */
  dataDir: string;
  reposDir: string;
  templatesDir: string;
  /** Peers whose `Identity` and `X-Forwarded-*` headers are trusted. */
  trustedPeers: BlockList;
  /** Whether the GitHub App has what it needs to run. */
  githubApp: boolean;
  /** Whether this process runs in a Kubernetes pod (its service account can be used). */
  inCluster: boolean;
  /** Settings that work but probably not as meant: one log line each at start. */
  warnings: string[];
};

/** A bad variable: `message` is the one line the process prints before it exits. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Parses the environment once. A bad value throws EnvError with one line naming the variable,
 * the value and what is expected.
 *
 * @example
 * parseEnv({ PORT: 'x' }) // throws: PORT is "x"; expected a port number from 0 to 65535
 */
export function parseEnv(source: NodeJS.ProcessEnv, cwd = process.cwd()): Env {
  // An empty variable is an unset one (a Kubernetes Secret key left blank, `VAR=` in a shell).
  const set = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const value = source[name];
    // A URL's credentials are masked too (`https://user:***@host`).
    const shown = isSecret(name) ? '(hidden)' : JSON.stringify(redact(value ?? ''));
    throw new EnvError(`${name} is ${shown}; ${issue?.message ?? 'invalid'}`);
  }
  const env = parsed.data;
  if (env.SLIPWAY_JWT_SECRET && env.SLIPWAY_JWKS_URL) {
    throw new EnvError(
      'SLIPWAY_JWT_SECRET and SLIPWAY_JWKS_URL are both set; expected one of them (HS256 secret or JWKS)',
    );
  }
  for (const name of ['SLIPWAY_JWT_ISSUER', 'SLIPWAY_JWT_AUDIENCE'] as const) {
    if (env[name] && !env.SLIPWAY_JWT_SECRET && !env.SLIPWAY_JWKS_URL) {
      throw new EnvError(
        `${name} is ${JSON.stringify(env[name])} but JWT authentication is off; expected SLIPWAY_JWT_SECRET or SLIPWAY_JWKS_URL to be set too`,
      );
    }
  }
  if (env.SLIPWAY_SELF_HEAL && env.SLIPWAY_DRIFT_SECONDS === 0) {
    throw new EnvError(
      'SLIPWAY_SELF_HEAL is "true" but SLIPWAY_DRIFT_SECONDS is 0 (drift is never looked for); expected SLIPWAY_DRIFT_SECONDS to be set too, e.g. 180',
    );
  }
  for (const name of ['SLIPWAY_NOTIFY_SECRET', 'SLIPWAY_NOTIFY_ON'] as const) {
    if (set[name] !== undefined && !env.SLIPWAY_NOTIFY_URL) {
      const shown = isSecret(name) ? '(hidden)' : JSON.stringify(set[name]);
      throw new EnvError(
        `${name} is ${shown} but SLIPWAY_NOTIFY_URL is not set (nothing is notified); expected SLIPWAY_NOTIFY_URL too`,
      );
    }
  }
  if (env.PRIVATE_KEY && env.PRIVATE_KEY_PATH) {
    throw new EnvError('PRIVATE_KEY and PRIVATE_KEY_PATH are both set; expected one of them');
  }
  const appParts = {
    APP_ID: env.APP_ID,
    'PRIVATE_KEY (or PRIVATE_KEY_PATH)': env.PRIVATE_KEY ?? env.PRIVATE_KEY_PATH,
    WEBHOOK_SECRET: env.WEBHOOK_SECRET,
  };
  const given = Object.entries(appParts).filter(([, value]) => value);
  if (given.length > 0 && given.length < 3) {
    const missing = Object.keys(appParts).filter((name) => !given.some(([g]) => g === name));
    throw new EnvError(
      `${given.map(([name]) => name).join(' and ')} set but ${missing.join(' and ')} missing; the GitHub App needs all of APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET`,
    );
  }
  const trustedPeers = new BlockList();
  for (const cidr of env.SLIPWAY_IDENTITY_CIDRS) {
    const parsedCidr = parseCidr(cidr);
    if (parsedCidr)
      trustedPeers.addSubnet(parsedCidr.address, parsedCidr.prefix, parsedCidr.family);
  }
  return {
    ...env,
    dataDir: path.resolve(cwd, env.SLIPWAY_DATA_DIR),
    reposDir: path.resolve(cwd, env.SLIPWAY_REPOS_DIR),
    templatesDir: path.resolve(cwd, env.SLIPWAY_TEMPLATES_DIR),
    trustedPeers,
    githubApp: Boolean(
      env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH) && env.WEBHOOK_SECRET,
    ),
    inCluster: Boolean(source.KUBERNETES_SERVICE_HOST),
    warnings:
      // Many machines have KUBECONFIG set for other tools, so it does not choose the runtime.
      env.KUBECONFIG && set.SLIPWAY_RUNTIME === undefined
        ? [
            'KUBECONFIG is set but SLIPWAY_RUNTIME is not, so workloads run as local processes; set SLIPWAY_RUNTIME=kubernetes to deploy to the cluster of KUBECONFIG',
          ]
        : [],
  };
}

function isSecret(name: string): boolean {
  return /TOKEN|SECRET|PRIVATE_KEY$|NOTIFY_URL$/.test(name);
}

/** `10.0.0.0/8` -> its parts; null when it is not a CIDR. A bare address is a /32 or /128. */
export function parseCidr(
  cidr: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = cidr.split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
