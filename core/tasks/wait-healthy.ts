import { SlipwayError } from '../errors.js';
import type { ApplyOutcome, Runtime, WorkloadRef, WorkloadStatus } from '../runtime/types.js';
import type { Clock } from '../types.js';
import { ChangeSignal } from './change-signal.js';

export interface WaitHealthyOptions {
  /** Give up (ERROR) after this long. */
  timeoutMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
  clock: Clock;
  pollMs?: number;
  /** The last lines a workload wrote, quoted when it fails. */
  lastLines?: (ref: WorkloadRef) => string[];
  /** Called when a workload failed, before its last lines are read (to let its log catch up). */
  beforeFailure?: (ref: WorkloadRef) => Promise<void>;
}

/** `job 'hello'` — how a workload is named in messages. */
export function describeRef(ref: WorkloadRef): string {
  return `${ref.kind} '${ref.name}'`;
}

/**
 * What an apply did to a workload, for the job log: "service 'web' changed", and why when only
 * drift made it change ("... (drifted from git: Deployment web: spec.replicas is 0, git says 1)").
 * A plan says what would be done.
 */
export function describeOutcome(outcome: ApplyOutcome, plan = false): string {
  const why = outcome.drift
    ? ` (drifted from git: ${outcome.drift})`
    : outcome.reason
      ? ` (${outcome.reason})`
      : '';
  return `${describeRef(outcome)} ${plan ? 'would be ' : ''}${outcome.action}${why}`;
}

/** One line saying where a workload stands; a healthy service says where it answers. */
export function describeStatus(status: WorkloadStatus): string {
  const message = status.message ? `: ${status.message}` : '';
  const where = status.health === 'healthy' && status.address ? `, at ${status.address}` : '';
  return `${describeRef(status)} ${status.health}${message}${where}`;
}

/**
 * Waits until every workload is healthy (DESIGN.md section 4, "done means healthy"): jobs
 * succeeded, deployments and services ready, cron jobs scheduled. Logs each change of state.
 * Throws WORKLOAD_FAILED naming the workload, the reason and its last log lines when one fails or
 * disappears, and TIMEOUT listing the ones still not healthy when time runs out.
 */
export async function waitUntilHealthy(
  runtime: Runtime,
  refs: WorkloadRef[],
  options: WaitHealthyOptions,
): Promise<WorkloadStatus[]> {
  const { clock, signal, log } = options;
  const deadline = clock.now() + options.timeoutMs;
  const seen = new Map<string, string>();
  const changes = new ChangeSignal(runtime, options.pollMs ?? 250);
  try {
    for (;;) {
      signal.throwIfAborted();
      const statuses = await changes.measure(() =>
        Promise.all(refs.map((ref) => runtime.status(ref))),
      );
      for (const status of statuses) {
        const line = describeStatus(status);
        const key = `${status.kind}/${status.namespace}/${status.name}`;
        if (seen.get(key) !== line) {
          seen.set(key, line);
          log(line);
        }
      }
      const failed = statuses.find((s) => s.health === 'failed' || s.health === 'missing');
      if (failed) {
        const reason = failed.health === 'missing' ? 'it no longer exists' : failed.message;
        await options.beforeFailure?.(failed);
        const tail = options.lastLines?.(failed) ?? [];
        const quoted = tail.length > 0 ? `\nlast lines:\n${tail.join('\n')}` : '';
        throw new SlipwayError(
          'WORKLOAD_FAILED',
          `${describeRef(failed)} failed: ${reason}${quoted}`,
          {
            details: {
              workload: { kind: failed.kind, namespace: failed.namespace, name: failed.name },
              reason,
              lastLines: tail,
            },
          },
        );
      }
      if (statuses.every((s) => s.health === 'healthy')) return statuses;
      if (clock.now() >= deadline) {
        const unhealthy = statuses.filter((s) => s.health !== 'healthy');
        const waiting = unhealthy.map(describeStatus);
        const hint = unhealthy.map(healthHint).find((h) => h !== undefined);
        // What the first one waited for said last, as for a failure: often why it is not ready.
        const first = unhealthy[0];
        if (first) await options.beforeFailure?.(first);
        const tail = first ? (options.lastLines?.(first) ?? []) : [];
        const quoted =
          first && tail.length > 0
            ? `\nlast lines of ${describeRef(first)}:\n${tail.join('\n')}`
            : '';
        throw new SlipwayError(
          'TIMEOUT',
          `not healthy after ${Math.round(options.timeoutMs / 1000)} s: ${waiting.join('; ')}${quoted}`,
          {
            details: { waiting, ...(tail.length > 0 ? { lastLines: tail } : {}) },
            ...(hint ? { hint } : {}),
          },
        );
      }
      await changes.next(signal);
    }
  } finally {
    changes.stop();
  }
}

/** What to do about a service whose health check keeps failing the way most first ones do. */
function healthHint(status: WorkloadStatus): string | undefined {
  const name = describeRef(status);
  if (/health check answered 404/.test(status.message)) {
    return `${name} has no health route: a service answers GET /health with 2xx or 3xx on the port in $PORT`;
  }
  if (/health check failed: ECONNREFUSED/.test(status.message)) {
    return `${name} does not listen where it is asked: a service listens on the port in $PORT (its container-port)`;
  }
  return undefined;
}
