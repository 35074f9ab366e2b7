import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, request, startServer } from './helpers/server.js';

function startWith(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      SLIPWAY_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'slipway-env-')),
      ...env,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

// Files some settings point at: a kubeconfig YAML cannot read, one whose current-context is
// not among its contexts, and a file that holds no key.
const files = mkdtempSync(path.join(os.tmpdir(), 'slipway-env-files-'));
const brokenYaml = path.join(files, 'broken-kubeconfig');
writeFileSync(brokenYaml, 'garbage: [\n');
const strayContext = path.join(files, 'stray-context-kubeconfig');
writeFileSync(
  strayContext,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: a, context: {cluster: c, user: u}}]',
    'current-context: nope',
    '',
  ].join('\n'),
);
const notAKey = path.join(files, 'not-a-key.pem');
writeFileSync(notAKey, 'hello\n');

describe('configuration', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT is "eighty"; expected a port number from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT is "70000"; expected a port number from 0 to 65535'],
    [{ SLIPWAY_WORKERS: '0' }, 'SLIPWAY_WORKERS is "0"; expected a whole number from 1 to 64'],
    [
      { SLIPWAY_RUNTIME: 'docker' },
      'SLIPWAY_RUNTIME is "docker"; expected "local" or "kubernetes"',
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes' },
      'SLIPWAY_RUNTIME is "kubernetes" but KUBECONFIG is not set and Slipway is not running in a pod',
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: '/nowhere/kubeconfig' },
      'KUBECONFIG is "/nowhere/kubeconfig", which does not exist; expected a kubeconfig file',
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: '/etc/hostname' },
      'KUBECONFIG is "/etc/hostname", which sets no current-context; expected current-context to point at a context and its cluster',
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: strayContext },
      `KUBECONFIG is "${strayContext}", whose current-context "nope" is not one of its contexts (a)`,
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: brokenYaml },
      `KUBECONFIG is "${brokenYaml}", which cannot be read as a kubeconfig (`,
    ],
    [
      { APP_ID: '12', WEBHOOK_SECRET: 'shh', PRIVATE_KEY_PATH: notAKey },
      `PRIVATE_KEY_PATH is "${notAKey}"; expected a file holding a PEM private key`,
    ],
    [
      { SLIPWAY_IDENTITY_CIDRS: '10.0.0.0/99' },
      'SLIPWAY_IDENTITY_CIDRS is "10.0.0.0/99"; "10.0.0.0/99" is not a CIDR',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL is "loud"; expected one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      { SLIPWAY_ADMIN_TOKEN: 'short' },
      'SLIPWAY_ADMIN_TOKEN is (hidden); expected at least 16 characters',
    ],
    [{ HOST: 'not an ip' }, 'HOST is "not an ip"; expected an IP address'],
    [
      { APP_ID: '12', WEBHOOK_SECRET: 'shh' },
      'APP_ID and WEBHOOK_SECRET set but PRIVATE_KEY (or PRIVATE_KEY_PATH) missing; the GitHub App needs all of',
    ],
    [
      { APP_ID: '12', WEBHOOK_SECRET: 'shh', PRIVATE_KEY: 'not-a-key-at-all' },
      'PRIVATE_KEY is (hidden); expected a PEM private key',
    ],
    [
      { APP_ID: '12', WEBHOOK_SECRET: 'shh', PRIVATE_KEY_PATH: '/nowhere/key.pem' },
      'PRIVATE_KEY_PATH is "/nowhere/key.pem"; expected a readable file (ENOENT)',
    ],
    [{ APP_ID: 'my-app' }, 'APP_ID is "my-app"; expected the numeric GitHub App id'],
    [
      { SLIPWAY_ADMIN_TOKEN: 'first-half-of-it second-half-of-it\n' },
      'SLIPWAY_ADMIN_TOKEN is (hidden); expected one token without spaces or line breaks inside it',
    ],
    [
      { GHE_HOST: 'ghe.example.com:99999' },
      'GHE_HOST is "ghe.example.com:99999"; expected a port from 1 to 65535 after the host name',
    ],
    [
      { GHE_HOST: 'https://ghe.example.com/' },
      'GHE_HOST is "https://ghe.example.com/"; expected a host name like ghe.example.com (optionally :port), without a scheme or path',
    ],
    [
      { SLIPWAY_JWKS_URL: 'http://login.example.com/jwks.json' },
      'SLIPWAY_JWKS_URL is "http://login.example.com/jwks.json"; expected an https URL (plain http only to a loopback host)',
    ],
    [
      { SLIPWAY_JWKS_URL: 'notaurl' },
      'SLIPWAY_JWKS_URL is "notaurl"; expected an http(s) URL of a JWKS document',
    ],
    [
      { SLIPWAY_POLL_SECONDS: '5m' },
      'SLIPWAY_POLL_SECONDS is "5m"; expected a whole number from 0 to 86400',
    ],
    [{ SLIPWAY_SELF_HEAL: 'yes' }, 'SLIPWAY_SELF_HEAL is "yes"; expected true or false'],
    [
      { SLIPWAY_SELF_HEAL: 'true' },
      'SLIPWAY_SELF_HEAL is "true" but SLIPWAY_DRIFT_SECONDS is 0 (drift is never looked for); expected SLIPWAY_DRIFT_SECONDS to be set too, e.g. 180',
    ],
    [
      { SLIPWAY_NOTIFY_URL: 'hooks.slack.com/services/T0/B0/keep-me-secret' },
      'SLIPWAY_NOTIFY_URL is (hidden); expected the http(s) URL to POST notifications to',
    ],
    [
      { SLIPWAY_NOTIFY_URL: 'https://bot:pw@hooks.example.com/x' },
      'SLIPWAY_NOTIFY_URL is (hidden); expected an http(s) URL without credentials (fetch sends none; sign with SLIPWAY_NOTIFY_SECRET instead)',
    ],
    [
      { SLIPWAY_NOTIFY_ON: 'failures' },
      'SLIPWAY_NOTIFY_ON is "failures" but SLIPWAY_NOTIFY_URL is not set (nothing is notified); expected SLIPWAY_NOTIFY_URL too',
    ],
    [
      { SLIPWAY_NOTIFY_URL: 'https://hooks.example.com/x', SLIPWAY_NOTIFY_ON: 'errors' },
      'SLIPWAY_NOTIFY_ON is "errors"; expected "failures" or "all"',
    ],
    [
      { SLIPWAY_NOTIFY_URL: 'https://hooks.example.com/x', SLIPWAY_NOTIFY_SECRET: 'short' },
      'SLIPWAY_NOTIFY_SECRET is (hidden); expected at least 16 characters (use a long random secret)',
    ],
    [
      { SLIPWAY_PUBLIC_URL: 'slipway.example.com' },
      'SLIPWAY_PUBLIC_URL is "slipway.example.com"; expected the http(s) URL people open Slipway at',
    ],
    [
      { SLIPWAY_PUBLIC_URL: 'https://ops:s3cret@slipway.example.com' },
      'SLIPWAY_PUBLIC_URL is "https://***@slipway.example.com"; expected an http(s) URL without credentials (it is shown on GitHub)',
    ],
    [
      { SLIPWAY_PUBLIC_URL: 'https://slipway.example.com/?team=ops' },
      'SLIPWAY_PUBLIC_URL is "https://slipway.example.com/?team=ops"; expected an http(s) URL without a query or fragment',
    ],
    [
      { SLIPWAY_REPOS_DIR: '/etc/hostname' },
      'SLIPWAY_REPOS_DIR is "/etc/hostname"; expected a directory, and this is a file',
    ],
    [
      { SLIPWAY_TEMPLATES_DIR: '/etc/hostname' },
      'SLIPWAY_TEMPLATES_DIR is "/etc/hostname"; expected a directory, and this is a file',
    ],
    [
      { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: '/dev/null' },
      'KUBECONFIG is "/dev/null", which cannot be read as a kubeconfig (it holds no kubeconfig); expected a YAML file with clusters, users, contexts and a current-context',
    ],
    [
      { SLIPWAY_JWT_AUDIENCE: 'slipway' },
      'SLIPWAY_JWT_AUDIENCE is "slipway" but JWT authentication is off; expected SLIPWAY_JWT_SECRET or SLIPWAY_JWKS_URL to be set too',
    ],
    [
      { SLIPWAY_TASK_TIMEOUT_SECONDS: '10m' },
      'SLIPWAY_TASK_TIMEOUT_SECONDS is "10m"; expected a whole number from 1 to 86400',
    ],
    [
      // Where ENOENT says a directory cannot be made: Node's recursive mkdir would try for ever.
      { SLIPWAY_DATA_DIR: '/proc/slipway/data' },
      'SLIPWAY_DATA_DIR is "/proc/slipway/data"; cannot create /proc/slipway/data (ENOENT); expected a directory Slipway may create',
    ],
    [
      { SLIPWAY_DATA_DIR: '/etc/hostname' },
      'SLIPWAY_DATA_DIR is "/etc/hostname"; /etc/hostname or a directory above it is a file; expected a directory',
    ],
  ])(
    'stops the start on %j with one line naming the variable, the value and what is expected',
    (env, line) => {
      const result = startWith(env);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(line);
      expect(result.stdout).not.toContain('listening');
    },
  );

  it('starts with KUBECONFIG set but SLIPWAY_RUNTIME unset, and warns that workloads run locally', async () => {
    const server = await startServer({ env: { KUBECONFIG: '/nowhere/kubeconfig' } });
    try {
      const warnings = server.logs().filter((l) => l.level === 40);
      expect(warnings.map((l) => l.msg)).toEqual([
        'KUBECONFIG is set but SLIPWAY_RUNTIME is not, so workloads run as local processes; set SLIPWAY_RUNTIME=kubernetes to deploy to the cluster of KUBECONFIG',
      ]);
      const listening = server.logs().find((l) => String(l.msg).startsWith('Slipway listening'));
      expect(listening?.runtime).toBe('local');
    } finally {
      await server.stop();
    }
    const chosen = await startServer({
      env: { KUBECONFIG: '/nowhere/kubeconfig', SLIPWAY_RUNTIME: 'local' },
    });
    await chosen.stop();
    expect(chosen.logs().filter((l) => l.level === 40)).toEqual([]);
  });

  it('says where a generated admin token is even when LOG_LEVEL hides info lines', async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-quiet-')), 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        SLIPWAY_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const tokenFile = path.join(dataDir, 'admin-token');
    const said = `slipway: admin token generated: read it with "cat ${tokenFile}"\n`;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`never said it:\n${output}`)), 20_000);
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes(said)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
      });
      expect(output).not.toContain(readFileSync(tokenFile, 'utf8').trim());
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('creates the data directory, the database and a private admin token on first start, and says where the token is', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'slipway-first-'));
    const dataDir = path.join(parent, 'nested', 'data');
    const server = await startServer({ dataDir });
    try {
      expect(existsSync(path.join(dataDir, 'slipway.db'))).toBe(true);
      const tokenFile = path.join(dataDir, 'admin-token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const token = readFileSync(tokenFile, 'utf8').trim();
      expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
      const said = server.logs().find((l) => String(l.msg).startsWith('admin token generated'));
      expect(said?.msg).toContain(tokenFile);
      expect(server.output.join('\n')).not.toContain(token);
      expect(server.logs().some((l) => String(l.msg).startsWith('GitHub App off'))).toBe(true);
      const webhook = await request(`${server.url}/api/github/webhooks`, 'POST', {});
      expect(webhook.status).toBe(503);
      expect(webhook.json.message).toContain('the GitHub App is off: set APP_ID');
      const health = await request(`${server.url}/healthz`, 'GET');
      expect(health.status).toBe(200);
      expect(health.json).toEqual({ status: 'ok' });
    } finally {
      await server.stop();
    }
    const again = await startServer({ dataDir });
    try {
      expect(again.adminToken).toBe(readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
      expect(again.output.some((l) => l.includes('admin token generated'))).toBe(false);
      expect(again.logs().some((l) => String(l.msg).startsWith('admin token generated'))).toBe(
        false,
      );
      expect((await again.api('GET', '/api/workspaces')).status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});
