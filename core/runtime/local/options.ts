import { SlipwayError } from '../../errors.js';
import { type Logger, silentLogger } from '../../types.js';

export interface LocalRuntimeOptions {
  /** Where the runtime keeps what it runs, so a restart of Slipway restores it; created if missing. */
  stateDir: string;
  logger?: Logger;
  /**
   * Environment every process starts from, before the workload's own `env`. The host picks it
   * (PATH, HOME, LANG, TZ, TMPDIR, never NODE_OPTIONS or secrets); default: empty.
   */
  baseEnv?: Record<string, string>;
  /** Wait before restarting an exited replica: doubles from `initialMs` up to `maxMs`. */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** How often a service's `/health` is asked; also the timeout of one check. */
  healthIntervalMs?: number;
  /** Restarts without becoming ready before a workload is `failed` (CrashLoopBackOff). */
  crashLoopThreshold?: number;
  /** A deployment's replica counts as ready once it stayed up this long. */
  stableAfterMs?: number;
  /** SIGTERM, then SIGKILL after this. */
  stopGraceMs?: number;
  /** Services without a container port get the first free port from here up. */
  basePort?: number;
  /** Output lines kept per workload (of its current revision). */
  logBufferLines?: number;
}

/** The options with every default filled in. */
export interface Settings {
  stateDir: string;
  logger: Logger;
  baseEnv: Record<string, string>;
  restartBackoff: { initialMs: number; maxMs: number };
  healthIntervalMs: number;
  crashLoopThreshold: number;
  stableAfterMs: number;
  stopGraceMs: number;
  basePort: number;
  logBufferLines: number;
}

/** A replica that stayed up this long starts its restart backoff from `initialMs` again. */
export const BACKOFF_RESET_MS = 60_000;

/** Fills in the defaults and rejects values no runtime could work with. */
export function resolveSettings(options: LocalRuntimeOptions): Settings {
  const settings: Settings = {
    stateDir: options.stateDir,
    logger: options.logger ?? silentLogger,
    baseEnv: { ...options.baseEnv },
    restartBackoff: options.restartBackoff ?? { initialMs: 1000, maxMs: 30_000 },
    healthIntervalMs: options.healthIntervalMs ?? 1000,
    crashLoopThreshold: options.crashLoopThreshold ?? 3,
    stableAfterMs: options.stableAfterMs ?? 1000,
    stopGraceMs: options.stopGraceMs ?? 5000,
    basePort: options.basePort ?? 8080,
    logBufferLines: options.logBufferLines ?? 2000,
  };
  if (!settings.stateDir) {
    throw new SlipwayError('BAD_REQUEST', 'local runtime: stateDir is empty; expected a directory');
  }
  const positive: [string, number][] = [
    ['restartBackoff.initialMs', settings.restartBackoff.initialMs],
    ['restartBackoff.maxMs', settings.restartBackoff.maxMs],
    ['healthIntervalMs', settings.healthIntervalMs],
    ['crashLoopThreshold', settings.crashLoopThreshold],
    ['logBufferLines', settings.logBufferLines],
    ['basePort', settings.basePort],
  ];
  const notNegative: [string, number][] = [
    ['stableAfterMs', settings.stableAfterMs],
    ['stopGraceMs', settings.stopGraceMs],
  ];
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new SlipwayError('BAD_REQUEST', `local runtime: ${name} is ${value}; expected > 0`);
    }
  }
  for (const [name, value] of notNegative) {
    if (!Number.isFinite(value) || value < 0) {
      throw new SlipwayError('BAD_REQUEST', `local runtime: ${name} is ${value}; expected >= 0`);
    }
  }
  return settings;
}
