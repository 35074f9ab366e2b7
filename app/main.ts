import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import pino from 'pino';
import { createEngine } from '../core/engine.js';
import { observeJobChanges } from '../core/jobs/index.js';
import { PatternCatalog, TemplateLibrary } from '../core/patterns/index.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import type { Runtime } from '../core/runtime/types.js';
import { createGitSource } from '../core/source/index.js';
import { claimDataDir } from '../core/store/data-dir-holder.js';
import { acquireDataDirLock, openSqliteStore } from '../core/store/sqlite.js';
import { type Logger, systemClock } from '../core/types.js';
import { adminTokenFile, loadAdminToken } from './admin-token.js';
import { createPrivateFile, openDataDirWarning, prepareDataDir, tightenFiles } from './data-dir.js';
import { type Env, EnvError, parseEnv } from './env.js';
import type { GitHubApp } from './github/github-app.js';
import { readPrivateKey } from './github/private-key.js';
import { recordReports, recordRetirements } from './github/record-reports.js';
import { Auth } from './http/auth.js';
import { createHttpApp } from './http/server.js';
import { createMetrics } from './metrics.js';
import { NotificationSender } from './notify/notification-sender.js';
import {
  recordDriftNotifications,
  recordNotifications,
  recordPauseNotifications,
} from './notify/record-notifications.js';
import { requestContextMixin } from './request-context.js';

/** A signal this soon after the first is the same one, delivered twice. */
const REPEATED_SIGNAL_MS = 1000;

/** Variables a local workload inherits from Slipway's environment; nothing else leaks to it. */
const WORKLOAD_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];
/** What git needs to reach remotes (ssh agent, proxies); no Slipway secret is among them. */
const GIT_ENV = [
  ...WORKLOAD_ENV,
  'SSH_AUTH_SOCK',
  'GIT_SSH_COMMAND',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/**
 * The Kubernetes runtime, its client loaded only when it is used (it is large). `onApiError`
 * hears of every failed API call but a 404 (a missing object is an answer, not an error).
 */
async function kubernetesRuntime(
  env: Env,
  logger: Logger,
  onApiError: (what: string) => void,
): Promise<Runtime> {
  const { createKubernetesRuntime, DEFAULT_RETRY, loadKubeConfig } = await import(
    '../core/runtime/kubernetes/index.js'
  );
  return createKubernetesRuntime({
    kubeConfig: loadKubeConfig({
      ...(env.KUBECONFIG ? { path: path.resolve(env.KUBECONFIG) } : {}),
      inCluster: env.inCluster,
    }),
    logger,
    retry: {
      ...DEFAULT_RETRY,
      onError: (what, error) => {
        if ((error as { code?: number }).code !== 404) onApiError(what);
      },
    },
  });
}

/** `apply Deployment shop/web` -> `apply Deployment`: a metric label without object names. */
function operationOf(what: string): string {
  return what
    .split(' ')
    .filter((word) => !word.includes('/'))
    .slice(0, 2)
    .join(' ');
}

function pickEnv(names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** The composition root: parse the environment once, build the adapters, serve. */
async function main(): Promise<void> {
  const env = parseEnv(process.env);
  const logger = pino({
    level: env.LOG_LEVEL,
    base: { service: 'slipway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Lines logged while serving a request carry its id (jobs carry their jobId).
    mixin: requestContextMixin,
  });
  for (const warning of env.warnings) logger.warn(warning);
  prepareDataDir(env.dataDir, env.SLIPWAY_DATA_DIR);
  const openDir = openDataDirWarning(env.dataDir);
  if (openDir) logger.warn(openDir);
  // The database (with its WAL) and the admin token hold secrets; older files may be 0644.
  const dbFile = path.join(env.dataDir, 'slipway.db');
  const privateFiles = ['', '-wal', '-shm'].map((suffix) => `${dbFile}${suffix}`);
  for (const file of tightenFiles([...privateFiles, adminTokenFile(env.dataDir)])) {
    logger.warn({ file }, 'made a file others could read private (mode 600)');
  }
  const lockFile = path.join(env.dataDir, 'slipway.lock');
  createPrivateFile(lockFile);
  const lock = acquireDataDirLock(lockFile);
  const admin = loadAdminToken(env.dataDir, env.SLIPWAY_ADMIN_TOKEN);
  if (admin.generated) {
    const said = `admin token generated: read it with "cat ${admin.file}"`;
    logger.info({ file: admin.file }, said);
    // The one line a first start must say: where the token is, whatever LOG_LEVEL hides.
    if (!logger.isLevelEnabled('info')) process.stderr.write(`slipway: ${said}\n`);
  } else if (admin.file) logger.info({ file: admin.file }, 'admin token read from file');

  // SQLite gives the -wal and -shm files the database file's mode, and the WAL holds secrets.
  createPrivateFile(dbFile);
  const store = openSqliteStore(dbFile);
  claimDataDir(store, env.dataDir);
  // With the GitHub App on, every job change of a GitHub-started job writes its report to the
  // outbox in the same transaction; the App's sender delivers it.
  let github: GitHubApp | undefined;
  const privateKey = env.githubApp ? readPrivateKey(env) : undefined;
  const metrics = createMetrics(store, systemClock);
  const report = privateKey ? recordReports(store, systemClock, () => github?.wake()) : undefined;
  // A workspace deleted (a closed pull request's preview, too) leaves its environment inactive.
  const workspaceDeleted = privateKey
    ? recordRetirements(store, systemClock, () => github?.wake())
    : undefined;
  // With SLIPWAY_NOTIFY_URL, a job's end is written to the outbox with its change, and sent.
  const notifier = env.SLIPWAY_NOTIFY_URL
    ? new NotificationSender({
        store,
        clock: systemClock,
        logger: logger.child({ component: 'notify' }),
        url: env.SLIPWAY_NOTIFY_URL,
        ...(env.SLIPWAY_NOTIFY_SECRET ? { secret: env.SLIPWAY_NOTIFY_SECRET } : {}),
        counted: (outcome) => metrics.notifications.inc({ outcome }),
      })
    : undefined;
  const notifySettings = {
    on: env.SLIPWAY_NOTIFY_ON,
    ...(env.SLIPWAY_PUBLIC_URL ? { publicUrl: env.SLIPWAY_PUBLIC_URL } : {}),
  };
  const notify = notifier
    ? recordNotifications(store, systemClock, notifySettings, () => notifier.wake())
    : undefined;
  const driftChanged = notifier
    ? recordDriftNotifications(store, systemClock, notifySettings, () => notifier.wake())
    : undefined;
  const pauseChanged = notifier
    ? recordPauseNotifications(store, systemClock, notifySettings, () => notifier.wake())
    : undefined;
  const engineStore = observeJobChanges(store, (job, change) => {
    if (change === 'status') metrics.jobChanged(job);
    report?.(job, change);
    notify?.(job, change);
  });
  const runtimeLogger = logger.child({ component: 'runtime' });
  const runtime =
    env.SLIPWAY_RUNTIME === 'kubernetes'
      ? await kubernetesRuntime(env, runtimeLogger, (what) =>
          metrics.runtimeErrors.inc({ operation: operationOf(what) }),
        )
      : createLocalRuntime({
          stateDir: path.join(env.dataDir, 'local'),
          logger: runtimeLogger,
          baseEnv: pickEnv(WORKLOAD_ENV),
        });
  const source = createGitSource({
    cacheDir: path.join(env.dataDir, 'checkouts'),
    env: pickEnv(GIT_ENV),
    reposDir: env.reposDir,
    logger: logger.child({ component: 'source' }),
    ...(privateKey
      ? {
          resolveGitHub: (repository: string, options?: { refresh?: boolean }) => {
            if (!github) throw new Error('the GitHub App is still starting');
            return github.access(repository, options);
          },
        }
      : {}),
  });
  const engine = createEngine({
    store: engineStore,
    runtime,
    source,
    logger,
    clock: systemClock,
    workers: env.SLIPWAY_WORKERS,
    taskTimeoutMs: env.SLIPWAY_TASK_TIMEOUT_SECONDS * 1000,
    ...(env.SLIPWAY_POLL_SECONDS > 0 ? { pollBranchesMs: env.SLIPWAY_POLL_SECONDS * 1000 } : {}),
    // A polled deploy of a repository the App is installed on reports as a push's does.
    reportsTo: (workspace, commit) => github?.originFor(workspace, 'deploy', commit),
    ...(driftChanged ? { driftChanged } : {}),
    ...(pauseChanged ? { pauseChanged } : {}),
    ...(workspaceDeleted ? { workspaceDeleted } : {}),
    ...(env.SLIPWAY_DRIFT_SECONDS > 0
      ? { driftCheckMs: env.SLIPWAY_DRIFT_SECONDS * 1000, selfHeal: env.SLIPWAY_SELF_HEAL }
      : {}),
    scratchDir: path.join(env.dataDir, 'scratch'),
    // We hold the data directory lock: a RUNNING job of another owner belongs to a dead process.
    orphans: 'all',
  });
  const auth = new Auth({
    adminToken: admin.token,
    store,
    clock: systemClock,
    trustedPeers: env.trustedPeers,
    ...(env.SLIPWAY_JWT_SECRET ? { jwtSecret: env.SLIPWAY_JWT_SECRET } : {}),
    ...(env.SLIPWAY_JWKS_URL ? { jwksUrl: env.SLIPWAY_JWKS_URL } : {}),
    ...(env.SLIPWAY_JWT_ISSUER ? { jwtIssuer: env.SLIPWAY_JWT_ISSUER } : {}),
    ...(env.SLIPWAY_JWT_AUDIENCE ? { jwtAudience: env.SLIPWAY_JWT_AUDIENCE } : {}),
  });
  const templates = new TemplateLibrary(env.templatesDir);
  const catalog = new PatternCatalog(
    env.templatesDir,
    store,
    logger.child({ component: 'patterns' }),
  );
  await catalog.report();
  if (privateKey && env.APP_ID && env.WEBHOOK_SECRET) {
    const { createGitHubApp } = await import('./github/github-app.js');
    github = await createGitHubApp({
      appId: env.APP_ID,
      privateKey,
      webhookSecret: env.WEBHOOK_SECRET,
      ...(env.GHE_HOST ? { gheHost: env.GHE_HOST } : {}),
      ...(env.GHE_PROTOCOL ? { gheProtocol: env.GHE_PROTOCOL } : {}),
      ...(env.SLIPWAY_PUBLIC_URL ? { publicUrl: env.SLIPWAY_PUBLIC_URL } : {}),
      engine,
      store,
      clock: systemClock,
      logger,
    });
  }
  const app = createHttpApp({
    engine,
    templates,
    catalog,
    store,
    auth,
    clock: systemClock,
    logger,
    ...(github ? { github } : {}),
    metrics,
  });

  // The port is bound before the engine claims a job: a start that cannot listen (the port in
  // use) must leave RUNNING jobs alone, not spend one of their attempts.
  const server = await listen(
    createAdaptorServer({
      fetch: app.fetch,
      // What a request without a Host header (HTTP/1.0) is taken to be addressed to.
      hostname: env.HOST,
    }),
    env,
  );
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  await engine.start();
  if (notifier) {
    notifier.start();
    logger.info(
      { receiver: new URL(env.SLIPWAY_NOTIFY_URL as string).host, on: env.SLIPWAY_NOTIFY_ON },
      `notifying ${env.SLIPWAY_NOTIFY_ON === 'all' ? 'every end' : 'failures and recoveries'} of deploys, runs and rollouts, drift, and pauses of deploys`,
    );
  }
  if (github) {
    github.start();
    logger.info(
      { appId: env.APP_ID, github: env.GHE_HOST ?? 'github.com' },
      'GitHub App on: webhooks at POST /api/github/webhooks',
    );
  } else {
    logger.info(
      'GitHub App off: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET to turn it on',
    );
  }
  const info = server.address() as AddressInfo;
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  logger.info(
    { url: `http://${host}:${info.port}`, runtime: runtime.name, dataDir: env.dataDir },
    `Slipway listening on http://${host}:${info.port}`,
  );

  let stoppingSince: number | undefined;
  const shutdown = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C can arrive twice: from the terminal to the whole process group, and relayed
      // by a parent (npm, tsx) that re-sends it when not answered at once. Only a second one a
      // moment later is someone asking to stop now (the next start stops what is left over).
      if (Date.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
      logger.warn({ signal }, 'stopping now, without waiting for running jobs');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    server.close();
    await engine.stop(env.SLIPWAY_SHUTDOWN_GRACE_SECONDS * 1000);
    await github?.stop();
    await notifier?.stop();
    store.close();
    lock.release();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Binds PORT on HOST; a failure is one line naming the variable and what is wrong. */
async function listen(server: ServerType, env: Env): Promise<ServerType> {
  server.listen(env.PORT, env.HOST);
  try {
    await once(server, 'listening');
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const where = `PORT ${env.PORT} on ${env.HOST}`;
    const why: Record<string, string> = {
      EADDRINUSE: `PORT ${env.PORT} is in use on ${env.HOST} (another program, or another Slipway, listens there); stop it or set PORT to a free port`,
      EACCES: `${where} needs privileges this process does not have (EACCES); expected a port above 1023 or the right to bind below it`,
      EADDRNOTAVAIL: `HOST is "${env.HOST}", which is not an address of this machine (EADDRNOTAVAIL); expected one of its addresses or 0.0.0.0`,
    };
    throw new EnvError(why[code] ?? `cannot listen on ${where}: ${(error as Error).message}`);
  }
}

main().catch((error: unknown) => {
  // One line, as DESIGN.md section 2 asks: what is wrong and what is expected.
  const message = error instanceof EnvError ? error.message : (error as Error).message;
  process.stderr.write(`slipway: ${message}\n`);
  process.exit(1);
});
