import { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.js';

export { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.js';

/**
 * The embedded runtime: tasks run as processes on this machine.
 *
 * @example
 * const runtime = createLocalRuntime({ stateDir: '.slipway/local', baseEnv: { PATH } });
 * await runtime.start();
 */
export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  return new LocalRuntime(options);
}
