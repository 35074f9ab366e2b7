import { isoTime } from '../../types.js';
import type { Instance, ManagedWorkload } from './managed-workload.js';
import type { Settings } from './options.js';
import { type StartedProcess, startProcess } from './start-process.js';

/** What the process runners need from the runtime that owns them. */
export interface RuntimeContext {
  settings: Settings;
  /** Writes the state file; from process events, so it logs a failure instead of throwing. */
  persist(): void;
  /** Tells the runtime's `onChange` listeners that a workload's state changed. */
  changed(): void;
  /** The ports given to the replicas of every workload but `managed`. */
  portsOfOthers(managed: ManagedWorkload): Set<number>;
}

/**
 * Starts a process for `instance`: the workload's command in its workdir, with the base
 * environment, then the workload's `env`, then `extraEnv` (PORT), then `SLIPWAY_WORKLOAD`
 * (never the whole environment of Slipway). Its output goes to the workload's log buffer,
 * tagged with the pod name.
 */
export function spawnInstance(
  context: RuntimeContext,
  managed: ManagedWorkload,
  instance: Instance,
  extraEnv: Record<string, string> = {},
): StartedProcess {
  const { workload } = managed;
  const env: Record<string, string> = { ...context.settings.baseEnv };
  for (const variable of workload.env) env[variable.name] = variable.value;
  Object.assign(env, extraEnv, { SLIPWAY_WORKLOAD: `${workload.namespace}/${workload.name}` });
  const started = startProcess(workload.command ?? [], {
    cwd: workload.workdir ?? '.',
    env,
    onLine: (line) => managed.logs.push({ time: isoTime(Date.now()), line, pod: instance.podName }),
  });
  instance.process = started;
  instance.phase = 'Running';
  instance.ready = false;
  instance.startTime = isoTime(Date.now());
  context.persist();
  return started;
}
