import { mkdirSync } from 'node:fs';
import { SlipwayError } from '../../errors.js';
import { isoTime } from '../../types.js';
import type {
  ApplyOptions,
  ApplyOutcome,
  ListFilter,
  LogLine,
  LogOptions,
  PodInfo,
  Runtime,
  TrafficScope,
  TrafficWeight,
  Workload,
  WorkloadInfo,
  WorkloadRef,
  WorkloadStatus,
} from '../types.js';
import { RERUN_FAILED_JOB } from '../types.js';
import { matchesFilter, toPods, toWorkloadInfo } from './describe-workloads.js';
import { followLogs } from './follow-logs.js';
import { hashWorkload } from './hash-workload.js';
import { killLeftovers } from './kill-leftovers.js';
import { haltWorkload, launchWorkload } from './launch-workload.js';
import { type ManagedWorkload, newManaged, refOf, workloadKey } from './managed-workload.js';
import { type LocalRuntimeOptions, resolveSettings, type Settings } from './options.js';
import { ScopeProxy } from './scope-proxy.js';
import type { RuntimeContext } from './spawn-instance.js';
import { fromPersisted, readState, toPersisted, writeState } from './state-file.js';
import { localCannotRun, validateWorkloads } from './validate-workloads.js';
import { workloadStatus } from './workload-status.js';

/**
 * The embedded runtime (DESIGN.md section 5, "Local"). Mutations (`apply`, `delete`,
 * `ensureNamespace`) need `start()` first and never interleave; reads answer from memory and
 * see nothing before `start()` or after `stop()`.
 */
export class LocalRuntime implements Runtime {
  readonly name = 'local' as const;
  private readonly settings: Settings;
  private readonly context: RuntimeContext;
  private readonly managed = new Map<string, ManagedWorkload>();
  private readonly namespaces = new Set<string>();
  private readonly proxies = new Map<string, ScopeProxy>();
  private lock: Promise<unknown> = Promise.resolve();
  private started = false;
  private readonly listeners = new Set<() => void>();

  constructor(options: LocalRuntimeOptions) {
    this.settings = resolveSettings(options);
    this.context = {
      settings: this.settings,
      persist: () => {
        this.context.changed();
        if (!this.started) return;
        try {
          this.save();
        } catch (error) {
          this.settings.logger.error({ err: error }, 'cannot write the local runtime state');
        }
      },
      changed: () => {
        for (const listener of this.listeners) listener();
      },
      portsOfOthers: (managed) =>
        new Set([...this.managed.values()].filter((m) => m !== managed).flatMap((m) => m.ports)),
    };
  }

  start(): Promise<void> {
    return this.exclusive(async () => {
      if (this.started) return;
      mkdirSync(this.settings.stateDir, { recursive: true });
      const state = readState(this.settings.stateDir);
      await killLeftovers(
        state.workloads.flatMap((saved) =>
          saved.processes.map((p) => ({ ...p, workload: workloadKey(saved.workload) })),
        ),
        this.settings.logger,
      );
      for (const namespace of state.namespaces) this.namespaces.add(namespace);
      for (const saved of state.traffic ?? []) {
        try {
          await this.openProxy(saved.namespace, saved.name, saved.port, saved.weights);
        } catch (error) {
          this.settings.logger.error(
            { err: error, scope: `${saved.namespace}/${saved.name}` },
            'cannot restore a scope proxy',
          );
        }
      }
      const restored = state.workloads.map((saved) => {
        const managed = fromPersisted(saved, this.settings.logBufferLines);
        this.managed.set(workloadKey(saved.workload), managed);
        return [managed, saved] as const;
      });
      this.started = true;
      for (const [managed, saved] of restored) {
        // Ports the workloads not started yet had: each gets its own back, none another's.
        const reserved = restored.filter(
          ([other]) => other !== managed && other.ports.length === 0,
        );
        try {
          await this.launch(
            managed,
            saved.ports,
            reserved.flatMap(([, other]) => other.ports),
          );
        } catch (error) {
          this.settings.logger.error(
            { err: error, workload: workloadKey(managed.workload) },
            'cannot restore a local workload',
          );
        }
      }
      this.save();
    });
  }

  stop(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.started) return;
      this.started = false;
      await Promise.all([...this.managed.values()].map((managed) => this.halt(managed)));
      // Unfinished jobs keep no result, so the next start() runs them again; scope proxies are
      // saved with their weights before they close, so it opens them again too.
      this.save();
      await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
      this.proxies.clear();
      this.managed.clear();
      this.namespaces.clear();
    });
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ensureNamespace(namespace: string): Promise<void> {
    return this.exclusive(async () => {
      this.requireStarted('ensureNamespace');
      if (this.namespaces.has(namespace)) return;
      this.namespaces.add(namespace);
      this.save();
    });
  }

  async listNamespaces(): Promise<string[]> {
    return [...this.namespaces].sort();
  }

  removeNamespace(namespace: string): Promise<boolean> {
    return this.exclusive(async () => {
      this.requireStarted('removeNamespace');
      if (!this.namespaces.has(namespace)) return false;
      const used = [...this.managed.values()].some(
        ({ workload }) => workload.namespace === namespace,
      );
      if (used) return false;
      this.namespaces.delete(namespace);
      this.save();
      return true;
    });
  }

  /**
   * Where each workload would start a process, and where each running process started: an
   * unchanged workload deployed from a newer checkout runs on from the older one.
   */
  workdirs(): string[] {
    return [...this.managed.values()].flatMap(({ workload, instances }) => [
      ...(workload.workdir ? [workload.workdir] : []),
      ...instances.flatMap((instance) => (instance.process ? [instance.process.cwd] : [])),
    ]);
  }

  cannotRun(workload: Workload): string | null {
    const problem = localCannotRun(workload);
    return problem && `${workload.kind} '${workload.name}' ${problem}`;
  }

  apply(workloads: Workload[], options: ApplyOptions = {}): Promise<ApplyOutcome[]> {
    return this.exclusive(async () => {
      this.requireStarted('apply');
      validateWorkloads(workloads);
      const plan = workloads.map((workload) => {
        const existing = this.managed.get(workloadKey(workload));
        const hash = hashWorkload(workload);
        // A job that failed runs again, as a changed one would; one that succeeded does not.
        const rerun =
          existing?.hash === hash &&
          workload.kind === 'job' &&
          workloadStatus(refOf(workload), existing, this.settings.crashLoopThreshold, new Date())
            .health === 'failed';
        const action: ApplyOutcome['action'] = !existing
          ? 'created'
          : existing.hash === hash && !rerun
            ? 'unchanged'
            : 'changed';
        const outcome = {
          ...refOf(workload),
          action,
          ...(rerun ? { reason: RERUN_FAILED_JOB } : {}),
        };
        return { workload, existing, hash, outcome };
      });
      if (options.dryRun) return plan.map((p) => p.outcome);
      try {
        for (const { workload, existing, hash, outcome } of plan) {
          if (existing && outcome.action === 'unchanged') {
            // Same spec from a newer checkout: restarts run from there, nothing restarts now.
            existing.workload = workload;
            continue;
          }
          if (existing) await this.halt(existing);
          const sameObject = existing && existing.workload.kind === workload.kind;
          const managed = newManaged(
            {
              workload,
              hash,
              revision: (existing?.revision ?? 0) + 1,
              created: sameObject ? existing.created : isoTime(Date.now()),
            },
            this.settings.logBufferLines,
          );
          this.managed.set(workloadKey(workload), managed);
          await this.launch(managed, existing?.ports ?? []);
        }
      } finally {
        this.save();
      }
      return plan.map((p) => p.outcome);
    });
  }

  delete(ref: WorkloadRef): Promise<boolean> {
    return this.exclusive(async () => {
      this.requireStarted('delete');
      const managed = this.find(ref);
      if (!managed) return false;
      this.managed.delete(workloadKey(ref));
      await this.halt(managed);
      this.save();
      return true;
    });
  }

  async list(filter: ListFilter = {}): Promise<WorkloadInfo[]> {
    return this.sorted()
      .filter((managed) => matchesFilter(managed, filter))
      .map(toWorkloadInfo);
  }

  async pods(namespace?: string): Promise<PodInfo[]> {
    return this.sorted()
      .filter((managed) => namespace === undefined || managed.workload.namespace === namespace)
      .flatMap(toPods);
  }

  async status(ref: WorkloadRef): Promise<WorkloadStatus> {
    return workloadStatus(ref, this.find(ref), this.settings.crashLoopThreshold, new Date());
  }

  async *logs(ref: WorkloadRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    const managed = this.find(ref);
    if (!managed) {
      throw new SlipwayError(
        'NOT_FOUND',
        `${ref.kind} '${ref.name}' does not exist in namespace '${ref.namespace}'`,
      );
    }
    yield* followLogs(managed, options, () => this.managed.get(workloadKey(ref)) === managed);
  }

  /**
   * Splits a scope's requests between service workloads through a weighted proxy on the scope's
   * port (DESIGN.md section 5); the proxy is created on first use and comes back after a restart.
   */
  setTraffic(scope: TrafficScope, weights: TrafficWeight[]): Promise<{ address: string }> {
    return this.exclusive(async () => {
      this.requireStarted('setTraffic');
      const key = `${scope.namespace}/${scope.name}`;
      const proxy =
        this.proxies.get(key) ??
        (await this.openProxy(scope.namespace, scope.name, scope.port, weights));
      proxy.setWeights(weights);
      this.save();
      return { address: `http://127.0.0.1:${proxy.port}` };
    });
  }

  private async openProxy(
    namespace: string,
    name: string,
    port: number,
    weights: TrafficWeight[],
  ): Promise<ScopeProxy> {
    const proxy = new ScopeProxy((workload) => this.readyPorts(namespace, workload));
    try {
      await proxy.listen(port);
    } catch (error) {
      // The scope's port is a wish on one machine (another scope or program may hold it).
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await proxy.listen(0);
    }
    proxy.setWeights(weights);
    this.proxies.set(`${namespace}/${name}`, proxy);
    return proxy;
  }

  private readyPorts(namespace: string, workload: string): number[] {
    const managed = this.managed.get(workloadKey({ namespace, name: workload }));
    if (managed?.workload.kind !== 'service' || managed.stopped) return [];
    return managed.instances.filter((i) => i.ready && i.port !== null).map((i) => i.port as number);
  }

  private find(ref: WorkloadRef): ManagedWorkload | undefined {
    const managed = this.managed.get(workloadKey(ref));
    return managed?.workload.kind === ref.kind ? managed : undefined;
  }

  private sorted(): ManagedWorkload[] {
    return [...this.managed.values()].sort((a, b) =>
      workloadKey(a.workload).localeCompare(workloadKey(b.workload)),
    );
  }

  private requireStarted(operation: string): void {
    if (this.started) return;
    throw new SlipwayError(
      'RUNTIME_ERROR',
      `the local runtime is not started: call start() before ${operation}()`,
    );
  }

  private save(): void {
    writeState(this.settings.stateDir, {
      version: 1,
      namespaces: [...this.namespaces].sort(),
      workloads: this.sorted().map(toPersisted),
      traffic: [...this.proxies.entries()].map(([key, proxy]) => {
        const [namespace = '', name = ''] = key.split('/');
        return { namespace, name, port: proxy.port ?? 0, weights: proxy.getWeights() };
      }),
    });
  }

  /**
   * Starts a workload's processes; ports of the other workloads, and `reserved` ones (of
   * workloads being restored), are not given out again.
   */
  private launch(
    managed: ManagedWorkload,
    previousPorts: readonly number[],
    reserved: readonly number[] = [],
  ): Promise<void> {
    const taken = new Set([...this.context.portsOfOthers(managed), ...reserved]);
    return launchWorkload(this.context, managed, previousPorts, taken);
  }

  private halt(managed: ManagedWorkload): Promise<void> {
    return haltWorkload(managed, this.settings.stopGraceMs);
  }

  /** Runs `fn` after every earlier mutation settled: they never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn, fn);
    // The caller gets the error; the queue only needs to know the operation settled.
    this.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
