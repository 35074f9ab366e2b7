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
  Workload,
  WorkloadInfo,
  WorkloadRef,
  WorkloadStatus,
} from '../types.js';
import { matchesFilter, toPods, toWorkloadInfo } from './describe-workloads.js';
import { followLogs } from './follow-logs.js';
import { hashWorkload } from './hash-workload.js';
import { killLeftovers } from './kill-leftovers.js';
import { haltWorkload, launchWorkload } from './launch-workload.js';
import { type ManagedWorkload, newManaged, refOf, workloadKey } from './managed-workload.js';
import { type LocalRuntimeOptions, resolveSettings, type Settings } from './options.js';
import type { RuntimeContext } from './spawn-instance.js';
import { fromPersisted, readState, toPersisted, writeState } from './state-file.js';
import { validateWorkloads } from './validate-workloads.js';
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
  private lock: Promise<unknown> = Promise.resolve();
  private started = false;

  constructor(options: LocalRuntimeOptions) {
    this.settings = resolveSettings(options);
    this.context = {
      settings: this.settings,
      persist: () => {
        if (!this.started) return;
        try {
          this.save();
        } catch (error) {
          this.settings.logger.error({ err: error }, 'cannot write the local runtime state');
        }
      },
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
      const restored = state.workloads.map((saved) => {
        const managed = fromPersisted(saved, this.settings.logBufferLines);
        this.managed.set(workloadKey(saved.workload), managed);
        return [managed, saved] as const;
      });
      this.started = true;
      for (const [managed, saved] of restored) {
        try {
          await this.launch(managed, saved.ports);
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
      // Unfinished jobs keep no result, so the next start() runs them again.
      this.save();
      this.managed.clear();
      this.namespaces.clear();
    });
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

  apply(workloads: Workload[], options: ApplyOptions = {}): Promise<ApplyOutcome[]> {
    return this.exclusive(async () => {
      this.requireStarted('apply');
      validateWorkloads(workloads);
      const plan = workloads.map((workload) => {
        const existing = this.managed.get(workloadKey(workload));
        const hash = hashWorkload(workload);
        const action: ApplyOutcome['action'] = !existing
          ? 'created'
          : existing.hash === hash
            ? 'unchanged'
            : 'changed';
        return { workload, existing, hash, outcome: { ...refOf(workload), action } };
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
    });
  }

  /** Starts a workload's processes; ports of the other workloads are not given out again. */
  private launch(managed: ManagedWorkload, previousPorts: readonly number[]): Promise<void> {
    const taken = new Set(
      [...this.managed.values()].filter((m) => m !== managed).flatMap((m) => m.ports),
    );
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
