import { findFreePort, portIsFree } from './find-free-port.js';
import { type Instance, later, type ManagedWorkload, quiet } from './managed-workload.js';
import { BACKOFF_RESET_MS } from './options.js';
import { probeHealth } from './probe-health.js';
import { type RuntimeContext, spawnInstance } from './spawn-instance.js';
import type { StartedProcess } from './start-process.js';
import { describeExit, exitCodeOf } from './start-process.js';

/**
 * Keeps one replica of a deployment or service running, as a Kubernetes Deployment with
 * `restartPolicy: Always` does: an exited process is started again after a backoff doubling from
 * `restartBackoff.initialMs` to `maxMs` (from the start again once it stayed up 60 s). A
 * deployment replica is ready once it stayed up `stableAfterMs`; a service replica while
 * `GET /health` on its PORT answers 2xx/3xx.
 */
export function superviseReplica(
  context: RuntimeContext,
  managed: ManagedWorkload,
  instance: Instance,
): void {
  if (managed.stopped) return;
  const { settings } = context;
  const env: Record<string, string> = instance.port === null ? {} : { PORT: String(instance.port) };
  const started = spawnInstance(context, managed, instance, env);
  const startedAt = Date.now();
  if (managed.workload.kind === 'service') probeReadiness(context, managed, instance, started);
  else {
    later(instance, settings.stableAfterMs, () => {
      if (instance.process !== started) return;
      markReady(instance);
      context.changed();
    });
  }
  void started.exited.then((exit) => {
    if (managed.stopped || instance.process !== started) return;
    quiet(instance);
    instance.process = null;
    instance.ready = false;
    instance.phase = 'Failed';
    instance.lastExit = describeExit(exit);
    instance.lastExitCode = exitCodeOf(exit);
    if (Date.now() - startedAt >= BACKOFF_RESET_MS) instance.quickExits = 0;
    const { initialMs, maxMs } = settings.restartBackoff;
    const wait = Math.min(initialMs * 2 ** instance.quickExits, maxMs);
    instance.quickExits += 1;
    settings.logger.info(
      { namespace: managed.workload.namespace, pod: instance.podName, exit: instance.lastExit },
      `replica ended; restarting in ${wait} ms`,
    );
    context.persist();
    later(instance, wait, () => {
      if (managed.stopped) return;
      void movePortIfTaken(context, managed, instance).finally(() => {
        if (managed.stopped || instance.process !== null) return;
        instance.restarts += 1;
        instance.restartsSinceReady += 1;
        superviseReplica(context, managed, instance);
      });
    });
  });
}

/**
 * Gives a service replica about to restart a free port when another program holds its own: a
 * port found free when it was given out can be taken before the replica binds it (another
 * Slipway, a test server), and restarting on it would only crash again, as Kubernetes never has
 * to fear since each pod has its own ports.
 */
async function movePortIfTaken(
  context: RuntimeContext,
  managed: ManagedWorkload,
  instance: Instance,
): Promise<void> {
  const held = instance.port;
  if (held === null || (await portIsFree(held))) return;
  const taken = new Set([...context.portsOfOthers(managed), ...managed.ports]);
  const { basePort, logger } = context.settings;
  let port: number;
  try {
    port = await findFreePort(basePort, taken);
  } catch (error) {
    logger.warn(
      { err: error, pod: instance.podName },
      `port ${held} is taken and no other is free`,
    );
    return;
  }
  if (managed.stopped) return;
  instance.port = port;
  const replica = managed.instances.indexOf(instance);
  if (replica >= 0) managed.ports[replica] = port;
  logger.warn(
    { namespace: managed.workload.namespace, pod: instance.podName, from: held, to: port },
    `another program holds port ${held}; the replica restarts on port ${port}`,
  );
  context.persist();
}

function markReady(instance: Instance): void {
  instance.ready = true;
  instance.restartsSinceReady = 0;
}

/**
 * Asks `/health` every `healthIntervalMs` (timeout: the same) while this process runs. Until it
 * answers the first time, sooner: after 100 ms, then twice as long each time up to the interval,
 * since most services listen within a few hundred milliseconds and a deploy waits for them.
 */
function probeReadiness(
  context: RuntimeContext,
  managed: ManagedWorkload,
  instance: Instance,
  started: StartedProcess,
): void {
  const { healthIntervalMs } = context.settings;
  const probes = new AbortController();
  instance.probes = probes;
  instance.healthDetail = null;
  let wait = Math.min(healthIntervalMs, 100);
  let readyOnce = false;
  const current = () => !managed.stopped && instance.process === started && !probes.signal.aborted;
  const check = async () => {
    if (!current() || instance.port === null) return;
    const result = await probeHealth(
      instance.port,
      healthIntervalMs,
      probes.signal,
      managed.workload.healthCheck?.path,
    );
    if (!current()) return;
    const was = instance.ready;
    if (result.ok) markReady(instance);
    else instance.ready = false;
    instance.healthDetail = result.detail;
    if (instance.ready !== was) context.changed();
    readyOnce ||= result.ok;
    wait = readyOnce ? healthIntervalMs : Math.min(wait * 2, healthIntervalMs);
    later(instance, wait, () => void check());
  };
  later(instance, wait, () => void check());
}
