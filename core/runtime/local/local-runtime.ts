import { statSync } from 'node:fs';
import { Cron } from 'croner';
import { SlipwayError } from '../../errors.js';
import { type Clock, isoTime, type Logger, silentLogger, systemClock } from '../../types.js';
import type {
  ApplyOptions,
  ApplyOutcome,
  ListFilter,
  LogLine,
  LogOptions,
  PodInfo,
  Runtime,
  Workload,
  WorkloadInfo,
  WorkloadRef,
  WorkloadStatus,
} from '../types.js';
import { clearTimers, type Instance, later, newInstance } from './instances.js';
import { LogBuffer } from './log-buffer.js';
import { findFreePort, probeHealth } from './ports.js';
import { describeExit, killLeftover, startProcess, stopProcess } from './processes.js';
import { type PersistedWorkload, readState, writeState } from './state-file.js';
import { workloadStatus } from './status.js';

export interface LocalRuntimeOptions {
  /** Where the runtime keeps what it runs, so a restart of Slipway restores it. */
  stateDir: string;
  logger?: Logger;
  clock?: Clock;
  /** Environment every process starts from (PATH, HOME...); the host picks it. */
  baseEnv?: Record<string, string>;
  restartBackoff?: { initialMs: number; maxMs: number };
  healthIntervalMs?: number;
  /** Failed starts without becoming ready before a workload is `failed` (CrashLoopBackOff). */
  crashLoopThreshold?: number;
  /** A deployment's process counts as ready once it stayed up this long. */
  stableAfterMs?: number;
  /** SIGTERM, then SIGKILL after this. */
  stopGraceMs?: number;
  /** Services without a container port get the first free port from here up. */
  basePort?: number;
  logBufferLines?: number;
}

/** A workload the runtime runs, with its processes and output. */
export interface Managed {
  workload: Workload;
  revision: number;
  created: string;
  ports: number[];
  logs: LogBuffer;
  instances: Instance[];
  /** A job's run (or a cron job's last run). */
  run: PersistedWorkload['run'];
  cron: Cron | null;
  /** Set once it is being replaced, deleted or shut down: exits are then expected. */
  stopped: boolean;
}

const RESET_AFTER_MS = 60_000;
const CRON_RUNS_KEPT = 3;

/**
 * The embedded runtime (DESIGN.md section 5, "Local"): a task's `cmd` runs as a child process
 * in its checkout directory. Jobs run to completion, cron jobs fire on their schedule (croner,
 * UTC, no overlap), deployments and services are supervised and restarted with backoff, services
 * get `PORT` and are health-checked on `/health`. What runs is written to `stateDir`, so after a
 * restart of Slipway (even a SIGKILL) leftovers are killed and everything comes back.
 */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private readonly managed = new Map<string, Managed>();
  private namespaces = new Set<string>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly settings: Required<
    Omit<LocalRuntimeOptions, 'logger' | 'clock' | 'stateDir' | 'baseEnv'>
  >;
  private lock: Promise<unknown> = Promise.resolve();
  private started = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.settings = {
      restartBackoff: options.restartBackoff ?? { initialMs: 1000, maxMs: 30_000 },
      healthIntervalMs: options.healthIntervalMs ?? 1000,
      crashLoopThreshold: options.crashLoopThreshold ?? 3,
      stableAfterMs: options.stableAfterMs ?? 1000,
      stopGraceMs: options.stopGraceMs ?? 5000,
      basePort: options.basePort ?? 8080,
      logBufferLines: options.logBufferLines ?? 2000,
    };
  }

  start(): Promise<void> {
    return this.exclusive(async () => {
      if (this.started) return;
      this.started = true;
      const state = readState(this.options.stateDir);
      this.namespaces = new Set(state.namespaces);
      for (const saved of state.workloads) {
        for (const leftover of saved.processes) {
          if (killLeftover(leftover.pid, leftover.marker)) {
            this.logger.warn(
              { pid: leftover.pid, workload: saved.workload.name },
              'killed a process left by a previous Slipway',
            );
          }
        }
        const managed = this.newManaged(saved.workload, saved.revision, saved.created);
        managed.ports = saved.ports;
        managed.run = saved.run;
        this.managed.set(key(saved.workload), managed);
        await this.launch(managed, true);
      }
      this.save();
    });
  }

  stop(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.started) return;
      this.started = false;
      // Persist first: a job killed by this shutdown is still "running" and runs again on start.
      this.save();
      await Promise.all([...this.managed.values()].map((m) => this.halt(m)));
      this.managed.clear();
    });
  }

  ensureNamespace(namespace: string): Promise<void> {
    return this.exclusive(async () => {
      if (this.namespaces.has(namespace)) return;
      this.namespaces.add(namespace);
      this.save();
    });
  }

  async listNamespaces(): Promise<string[]> {
    return [...this.namespaces].sort();
  }

  apply(workloads: Workload[], options: ApplyOptions = {}): Promise<ApplyOutcome[]> {
    return this.exclusive(async () => {
      for (const workload of workloads) validate(workload);
      const outcomes = workloads.map((workload): ApplyOutcome => {
        const existing = this.managed.get(key(workload));
        const action = !existing
          ? 'created'
          : existing.workload.specHash === workload.specHash &&
              existing.workload.kind === workload.kind
            ? 'unchanged'
            : 'changed';
        return { kind: workload.kind, namespace: workload.namespace, name: workload.name, action };
      });
      if (options.dryRun) return outcomes;
      for (const [i, workload] of workloads.entries()) {
        const outcome = outcomes[i];
        if (!outcome || outcome.action === 'unchanged') continue;
        const existing = this.managed.get(key(workload));
        if (existing) await this.halt(existing);
        const managed = this.newManaged(
          workload,
          (existing?.revision ?? 0) + 1,
          isoTime(this.clock.now()),
        );
        this.managed.set(key(workload), managed);
        await this.launch(managed, false);
      }
      this.save();
      return outcomes;
    });
  }

  delete(ref: WorkloadRef): Promise<boolean> {
    return this.exclusive(async () => {
      const managed = this.find(ref);
      if (!managed) return false;
      this.managed.delete(key(ref));
      await this.halt(managed);
      this.save();
      return true;
    });
  }

  async list(filter: ListFilter = {}): Promise<WorkloadInfo[]> {
    return [...this.managed.values()]
      .map((m) => m.workload)
      .filter(
        (w) =>
          (filter.kind === undefined || w.kind === filter.kind) &&
          (filter.namespace === undefined || w.namespace === filter.namespace),
      )
      .filter((w) => Object.entries(filter.labels ?? {}).every(([k, v]) => w.labels[k] === v))
      .map((w) => ({
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        labels: { ...w.labels },
        created: this.managed.get(key(w))?.created ?? '',
        schedule: w.schedule,
        replicas: w.replicas,
      }));
  }

  async pods(namespace?: string): Promise<PodInfo[]> {
    return [...this.managed.values()]
      .filter((m) => namespace === undefined || m.workload.namespace === namespace)
      .flatMap((m) =>
        m.instances.map((instance) => ({
          namespace: m.workload.namespace,
          name: instance.podName,
          workload: {
            kind: m.workload.kind,
            namespace: m.workload.namespace,
            name: m.workload.name,
          },
          phase: instance.phase,
          ready: instance.ready,
          restarts: instance.restarts,
          startTime: instance.startTime,
        })),
      );
  }

  async status(ref: WorkloadRef): Promise<WorkloadStatus> {
    return workloadStatus(ref, this.find(ref), this.settings.crashLoopThreshold);
  }

  async *logs(ref: WorkloadRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    const managed = this.find(ref);
    if (!managed) return;
    const buffer = managed.logs;
    let index = buffer.start;
    for (;;) {
      const batch = buffer.from(index);
      index = buffer.end;
      for (const line of batch) yield line;
      if (!options.follow || options.signal?.aborted) return;
      if (buffer.closed && index === buffer.end) return;
      if (this.managed.get(key(ref)) !== managed && index === buffer.end) return;
      if (index === buffer.end) await buffer.wait(options.signal);
    }
  }

  /** The last lines a workload wrote, for messages. */
  tail(ref: WorkloadRef, count: number): string[] {
    return (
      this.find(ref)
        ?.logs.tail(count)
        .map((l) => l.line) ?? []
    );
  }

  private newManaged(workload: Workload, revision: number, created: string): Managed {
    return {
      workload,
      revision,
      created,
      ports: [],
      logs: new LogBuffer(this.settings.logBufferLines),
      instances: [],
      run: null,
      cron: null,
      stopped: false,
    };
  }

  private async launch(managed: Managed, restoring: boolean): Promise<void> {
    const { workload } = managed;
    if (workload.kind === 'job') {
      if (restoring && managed.run?.completionTime) {
        managed.logs.close();
        return;
      }
      void this.runOnce(managed, `${workload.name}-${managed.revision}`);
    } else if (workload.kind === 'cronjob') {
      managed.cron = new Cron(
        workload.schedule ?? '',
        { timezone: 'UTC', protect: true, catch: true },
        () => this.runOnce(managed, `${workload.name}-${Math.floor(this.clock.now() / 1000)}`),
      );
    } else {
      await this.assignPorts(managed, restoring);
      for (let i = 0; i < workload.replicas; i++) {
        const instance = newInstance(
          `${workload.name}-${managed.revision}-${i}`,
          managed.ports[i] ?? null,
        );
        managed.instances.push(instance);
        this.supervise(managed, instance);
      }
    }
  }

  /** Runs a job (or one cron firing) to completion, recording how it ended. */
  private async runOnce(managed: Managed, podName: string): Promise<void> {
    if (managed.stopped) return;
    const instance = newInstance(podName, null);
    managed.instances.push(instance);
    if (managed.workload.kind === 'cronjob') {
      managed.instances.splice(0, Math.max(managed.instances.length - CRON_RUNS_KEPT, 0));
    }
    const startTime = isoTime(this.clock.now());
    managed.run = { startTime, completionTime: null, exitCode: null, message: 'running' };
    const started = this.spawn(managed, instance, {});
    this.save();
    const exit = await started.exited;
    if (managed.stopped) return;
    instance.phase = exit.code === 0 ? 'Succeeded' : 'Failed';
    instance.lastExit = describeExit(exit);
    instance.process = null;
    managed.run = {
      startTime,
      completionTime: isoTime(this.clock.now()),
      exitCode: exit.code ?? null,
      message: describeExit(exit),
    };
    if (managed.workload.kind === 'job') managed.logs.close();
    this.save();
  }

  /** Keeps one replica of a deployment or service running, restarting it with backoff. */
  private supervise(managed: Managed, instance: Instance): void {
    if (managed.stopped) return;
    const started = this.spawn(
      managed,
      instance,
      instance.port !== null ? { PORT: String(instance.port) } : {},
    );
    const startedAt = this.clock.now();
    if (managed.workload.kind === 'service') this.probe(managed, instance, started.pid);
    else {
      later(instance, this.settings.stableAfterMs, () => {
        if (instance.process !== started) return;
        instance.ready = true;
        instance.failuresSinceReady = 0;
      });
    }
    this.save();
    void started.exited.then((exit) => {
      if (managed.stopped || instance.process !== started) return;
      clearTimers(instance);
      instance.process = null;
      instance.ready = false;
      instance.phase = 'Failed';
      instance.lastExit = describeExit(exit);
      if (this.clock.now() - startedAt >= RESET_AFTER_MS) instance.failuresSinceReady = 0;
      instance.failuresSinceReady += 1;
      const { initialMs, maxMs } = this.settings.restartBackoff;
      const wait = Math.min(initialMs * 2 ** (instance.failuresSinceReady - 1), maxMs);
      this.push(managed, instance.podName, `(${instance.lastExit}; restarting in ${wait} ms)`);
      later(instance, wait, () => {
        if (managed.stopped) return;
        instance.restarts += 1;
        this.supervise(managed, instance);
      });
    });
  }

  /** Readiness of a service replica: GET /health on its port, again and again while it runs. */
  private probe(managed: Managed, instance: Instance, pid: number | null): void {
    const check = async () => {
      if (managed.stopped || instance.process?.pid !== pid || instance.port === null) return;
      const result = await probeHealth(instance.port, this.settings.healthIntervalMs);
      if (managed.stopped || instance.process?.pid !== pid) return;
      instance.ready = result.ok;
      instance.healthDetail = result.detail;
      if (result.ok) instance.failuresSinceReady = 0;
      later(instance, this.settings.healthIntervalMs, () => void check());
    };
    later(instance, Math.min(200, this.settings.healthIntervalMs), () => void check());
  }

  private spawn(managed: Managed, instance: Instance, extraEnv: Record<string, string>) {
    const { workload } = managed;
    const env: Record<string, string> = { ...this.options.baseEnv };
    for (const variable of workload.env) env[variable.name] = variable.value;
    Object.assign(env, extraEnv, { SLIPWAY_WORKLOAD: `${workload.namespace}/${workload.name}` });
    const started = startProcess(workload.command ?? [], {
      cwd: workload.workdir ?? '.',
      env,
      onLine: (line) => this.push(managed, instance.podName, line),
    });
    instance.process = started;
    instance.phase = 'Running';
    instance.startTime = isoTime(this.clock.now());
    instance.lastExit = null;
    return started;
  }

  private push(managed: Managed, pod: string, line: string): void {
    managed.logs.push({ time: isoTime(this.clock.now()), line, pod });
  }

  private async assignPorts(managed: Managed, restoring: boolean): Promise<void> {
    const { workload } = managed;
    if (workload.kind !== 'service') return;
    if (restoring && managed.ports.length === workload.replicas) return;
    const taken = new Set(
      [...this.managed.values()].filter((m) => m !== managed).flatMap((m) => m.ports),
    );
    const ports: number[] = [];
    for (let i = 0; i < workload.replicas; i++) {
      const port =
        i === 0 && workload.port
          ? workload.port
          : await findFreePort(this.settings.basePort, taken);
      ports.push(port);
      taken.add(port);
    }
    managed.ports = ports;
  }

  /** Stops everything a workload runs: cron, timers, processes; its log ends. */
  private async halt(managed: Managed): Promise<void> {
    managed.stopped = true;
    managed.cron?.stop();
    await Promise.all(
      managed.instances.map(async (instance) => {
        clearTimers(instance);
        if (instance.process) await stopProcess(instance.process, this.settings.stopGraceMs);
        instance.ready = false;
      }),
    );
    managed.logs.close();
  }

  private find(ref: WorkloadRef): Managed | undefined {
    const managed = this.managed.get(key(ref));
    return managed && managed.workload.kind === ref.kind ? managed : undefined;
  }

  private save(): void {
    writeState(this.options.stateDir, {
      version: 1,
      namespaces: [...this.namespaces],
      workloads: [...this.managed.values()].map((m) => ({
        workload: m.workload,
        revision: m.revision,
        created: m.created,
        ports: m.ports,
        run: m.run,
        processes: m.instances.flatMap((i) =>
          i.process?.pid ? [{ pid: i.process.pid, marker: i.process.marker }] : [],
        ),
      })),
    });
  }

  /** Runs `fn` after every earlier mutation finished: apply, delete, start and stop never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn, fn);
    this.lock = result.catch(() => undefined);
    return result;
  }
}

function key(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/** What the local runtime needs to run a workload; checked for all before any starts. */
function validate(workload: Workload): void {
  const name = `${workload.kind} '${workload.name}'`;
  if (!workload.command || workload.command.length === 0 || !workload.command[0]) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `${name} has no "cmd"; the local runtime runs cmd (an image alone needs the kubernetes runtime)`,
    );
  }
  let directory = false;
  try {
    directory = workload.workdir !== null && statSync(workload.workdir).isDirectory();
  } catch {
    directory = false;
  }
  if (!directory) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `${name} has no directory to run in (${workload.workdir ?? 'none given'})`,
    );
  }
  if (workload.kind === 'cronjob' && !workload.schedule) {
    throw new SlipwayError('BAD_REQUEST', `${name} is a cron job without a schedule`);
  }
}
