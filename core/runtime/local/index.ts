import type { Runtime } from '../types.js';
import { LocalRuntime } from './local-runtime.js';
import type { LocalRuntimeOptions } from './options.js';

/** The local runtime is a plain `Runtime`; the name stays for code that spells the type out. */
export type { Runtime as LocalRuntime } from '../types.js';
export type { LocalRuntimeOptions } from './options.js';

/**
 * The embedded runtime (DESIGN.md section 5, "Local"): a task's `cmd` runs as a process group in
 * its checkout directory. Jobs run to completion, cron jobs fire on their schedule (croner, UTC,
 * no overlap), deployments and services are supervised and restarted with backoff, services get
 * `PORT` and are health-checked on `/health`. What runs is written to `stateDir`, so after a
 * restart of Slipway (even a SIGKILL) leftovers are killed and everything comes back.
 *
 * @example
 * const runtime = createLocalRuntime({ stateDir: '.slipway/local', baseEnv: { PATH: '/usr/bin:/bin' } });
 * await runtime.start();
 * await runtime.apply(workloads);
 * await runtime.stop();
 */
export function createLocalRuntime(options: LocalRuntimeOptions): Runtime {
  return new LocalRuntime(options);
}
