import { errorMessage, SlipwayError } from '../errors.js';
import type { JobContext, JobEnd, JobOutcome } from '../jobs/index.js';
import type { Runtime, TrafficWeight } from '../runtime/types.js';
import type { SourceFetcher } from '../source/index.js';
import { ChangeSignal, LogCopier } from '../tasks/index.js';
import { type Clock, isoTime, type Job } from '../types.js';
import type { Deployment, DeploymentStatus, Scope } from './model.js';
import { renderInstance } from './render-instance.js';
import type { RolloutRecords } from './rollout-records.js';

/** One step of a deployment, run as a `ROLLOUT` job (serialized per scope). */
export interface RolloutParams {
  deploymentId: number;
  step: 'launch' | 'traffic' | 'finalize' | 'cancel';
  desired?: number;
}

export interface RunRolloutDeps {
  records: RolloutRecords;
  runtime: Runtime;
  source: SourceFetcher;
  clock: Clock;
  pollMs?: number;
  /** How long requests already sent to a release may take before it is removed. */
  drainMs?: number;
}

/**
 * The `ROLLOUT` handler (DESIGN.md 7.4): launches a release beside the active one and waits for
 * its instances to pass their health check, moves traffic, finalizes (the old release goes) or
 * cancels (traffic back, the new release goes). An initial deployment finalizes itself once
 * healthy. Every step is written to the deployment's messages.
 */
export async function runRollout(context: JobContext, deps: RunRolloutDeps): Promise<JobOutcome> {
  const params = context.job.params as unknown as RolloutParams;
  const step = new RolloutStepRunner(context, deps, params.deploymentId);
  switch (params.step) {
    case 'launch':
      await step.launch();
      break;
    case 'traffic':
      await step.traffic(params.desired ?? 0);
      break;
    case 'finalize':
      await step.finalize();
      break;
    case 'cancel':
      await step.cancel();
      break;
  }
  const deployment = deps.records.deployment(params.deploymentId);
  if (deployment.status === 'failed') {
    // The job is how a caller follows the deployment (`slipway jobs logs --follow` exits 1
    // unless it completed): a deployment that failed is a job that failed, with its reason.
    const reason = deployment.messages.at(-1)?.message.split('\n')[0];
    throw new SlipwayError(
      'WORKLOAD_FAILED',
      `deployment ${deployment.id} failed${reason ? `: ${reason}` : ''}`,
      { details: { deployment: deployment.id, status: deployment.status } },
    );
  }
  return {
    result: { deployment: deployment.id, status: deployment.status },
    message: `deployment ${deployment.id} ${deployment.status}`,
  };
}

/**
 * The statuses a deployment holds only while a `ROLLOUT` step of this kind carries it somewhere:
 * the launch through its start (and an initial deployment's finalizing), the finalize and the
 * cancel through theirs. A traffic step carries none: the deployment runs before and after it.
 */
function carriedBy(step: RolloutParams['step'], deployment: Deployment): DeploymentStatus[] {
  switch (step) {
    case 'launch':
      return deployment.strategy === 'initial'
        ? ['creating', 'waiting_for_instances', 'finalizing']
        : ['creating', 'waiting_for_instances'];
    case 'finalize':
      return ['finalizing'];
    case 'cancel':
      return ['cancelling', 'rolling_back'];
    case 'traffic':
      return [];
  }
}

/**
 * A `ROLLOUT` job that ended without completing and will not run again (it failed for good,
 * timed out, was withdrawn, or its worker stopped once too often) leaves no deployment half
 * way: one its step was carrying is failed, with the reason in its messages. A launch withdrawn
 * by a cancel is not: the deployment is `cancelling` by then, and the cancel step queued with
 * it carries it to `rolled_back` or `cancelled`.
 */
export function settleEndedRollout(
  job: Job,
  end: JobEnd,
  deps: Pick<RunRolloutDeps, 'records' | 'clock'>,
): void {
  const { deploymentId, step } = job.params as unknown as RolloutParams;
  const deployment = deps.records.deployment(deploymentId);
  if (!carriedBy(step, deployment).includes(deployment.status)) return;
  deps.records.updateDeployment(
    deploymentId,
    { status: 'failed' },
    {
      date: isoTime(deps.clock.now()),
      level: 'error',
      message: `the rollout job ${job.id} ended while the deployment was ${deployment.status}: ${end.message}`,
    },
  );
}

class RolloutStepRunner {
  constructor(
    private readonly context: JobContext,
    private readonly deps: RunRolloutDeps,
    private readonly id: number,
  ) {}

  private get deployment(): Deployment {
    return this.deps.records.deployment(this.id);
  }

  private scope(): Scope {
    return this.deps.records.scope(this.deployment.scope_id);
  }

  /** Records a change of the deployment and says so in its messages and the job log. */
  private update(
    change: Partial<Deployment>,
    message?: string,
    level: 'info' | 'error' = 'info',
  ): Deployment {
    this.context.log(message ?? `deployment ${this.id}: ${change.status ?? 'updated'}`);
    return this.deps.records.updateDeployment(
      this.id,
      change,
      message ? { date: isoTime(this.deps.clock.now()), level, message } : undefined,
    );
  }

  private setStatus(
    status: DeploymentStatus,
    message: string,
    level: 'info' | 'error' = 'info',
  ): Deployment {
    return this.update({ status }, message, level);
  }

  /**
   * Every step is resumable: after a crash or restart the job runs again (a new attempt) and
   * goes on from where the deployment stands. Applying, routing and deleting are idempotent.
   */
  async launch(): Promise<void> {
    const deployment = this.deployment;
    if (
      deployment.strategy === 'initial' &&
      (deployment.status === 'running' || deployment.status === 'finalizing')
    ) {
      // Healthy and routed before the interruption: only the finalizing is left.
      this.context.log(`deployment ${this.id} is ${deployment.status}; finishing its launch`);
      await this.route([{ workload: deployment.workload, weight: 100 }]);
      if (this.deployment.status === 'running') {
        this.setStatus('finalizing', 'initial deployment: finalizing');
      }
      this.complete();
      return;
    }
    if (deployment.status !== 'creating' && deployment.status !== 'waiting_for_instances') {
      this.context.log(`deployment ${this.id} is ${deployment.status}; nothing to launch`);
      return;
    }
    if (deployment.status === 'waiting_for_instances') {
      this.context.log(`deployment ${this.id}: resuming its launch`);
    }
    const scope = this.scope();
    const from = this.deps.records.instanceSource(deployment);
    const instances = scope.capabilities.instances;
    this.update(
      {
        status: 'waiting_for_instances',
        strategy_data: { ...deployment.strategy_data, amount_instances_to_wait: instances },
      },
      `launching ${instances} instance(s) of release ${from.release.semver} (asset ${from.asset.name}) as ${deployment.workload}`,
    );
    const ref = { kind: 'service' as const, namespace: scope.namespace, name: deployment.workload };
    try {
      const workload = await renderInstance(this.deps.source, from, this.context.signal);
      await this.deps.runtime.ensureNamespace(scope.namespace);
      await this.deps.runtime.apply([workload]);
      this.update({
        strategy_data: { ...this.deployment.strategy_data, launched_instances: instances },
      });
      await this.waitHealthy(ref, scope.capabilities.max_startup_seconds * 1000);
    } catch (error) {
      if (this.context.signal.aborted) {
        // Withdrawn or timed out, the launch is over and its instances go; after a shutdown or a
        // lost lease the job runs again and takes them up.
        const reason = this.context.signal.reason;
        if (reason === 'withdrawn' || reason === 'timeout') {
          await this.deps.runtime.delete(ref).catch(() => false);
        }
        return;
      }
      await this.deps.runtime.delete(ref).catch(() => false);
      const kept = deployment.previous_deployment ? '; the active release keeps all traffic' : '';
      const tail =
        error instanceof InstancesFailed && error.lastLines.length > 0
          ? `\nlast lines:\n${error.lastLines.join('\n')}`
          : '';
      this.setStatus('failed', `${errorMessage(error)}${kept}${tail}`, 'error');
      return;
    }
    if (this.context.signal.aborted) return;
    if (this.deployment.strategy === 'initial') {
      await this.route([{ workload: deployment.workload, weight: 100 }]);
      // Withdrawn while routing (a cancel): the cancel step owns the deployment now.
      if (this.context.signal.aborted) return;
      this.update(
        {
          status: 'running',
          strategy_data: {
            ...this.deployment.strategy_data,
            switched_traffic: 100,
            desired_switched_traffic: 100,
          },
        },
        `${instances} instance(s) healthy; all traffic on release ${from.release.semver}`,
      );
      this.setStatus('finalizing', 'initial deployment: finalizing');
      this.complete();
      return;
    }
    const desired = this.deployment.strategy_data.desired_switched_traffic;
    await this.split(desired);
    if (this.context.signal.aborted) return;
    this.update(
      {
        status: 'running',
        strategy_data: { ...this.deployment.strategy_data, switched_traffic: desired },
      },
      `${instances} instance(s) healthy beside the active release; ${desired}% of traffic on the new one`,
    );
  }

  async traffic(desired: number): Promise<void> {
    if (this.deployment.status !== 'running') {
      // Asked for while instances were starting: the launch applies it once they are healthy.
      this.context.log(
        `deployment ${this.id} is ${this.deployment.status}; traffic follows once it runs`,
      );
      return;
    }
    await this.split(desired);
    this.update(
      { strategy_data: { ...this.deployment.strategy_data, switched_traffic: desired } },
      `switched ${desired}% of traffic to the new release`,
    );
  }

  async finalize(): Promise<void> {
    const deployment = this.deployment;
    if (deployment.status !== 'finalizing') {
      this.context.log(`deployment ${this.id} is ${deployment.status}; nothing to finalize`);
      return;
    }
    await this.route([{ workload: deployment.workload, weight: 100 }]);
    const previous = deployment.previous_deployment
      ? this.deps.records.deployment(deployment.previous_deployment)
      : null;
    if (previous) {
      await this.drain();
      await this.deps.runtime.delete({
        kind: 'service',
        namespace: this.scope().namespace,
        name: previous.workload,
      });
      this.deps.records.updateDeployment(
        previous.id,
        { status: 'deleted' },
        {
          date: isoTime(this.deps.clock.now()),
          level: 'info',
          message: `replaced by deployment ${this.id}`,
        },
      );
    }
    this.update(
      {
        strategy_data: {
          ...this.deployment.strategy_data,
          switched_traffic: 100,
          desired_switched_traffic: 100,
        },
      },
      'all traffic on the new release; the old one is removed',
    );
    this.complete();
  }

  async cancel(): Promise<void> {
    const deployment = this.deployment;
    // rolling_back: a cancel interrupted half way, taken up again.
    if (deployment.status !== 'cancelling' && deployment.status !== 'rolling_back') {
      this.context.log(`deployment ${this.id} is ${deployment.status}; nothing to cancel`);
      return;
    }
    const scope = this.scope();
    const previous = deployment.previous_deployment
      ? this.deps.records.deployment(deployment.previous_deployment)
      : null;
    if (previous) {
      if (deployment.status === 'cancelling') {
        this.setStatus('rolling_back', 'traffic back to the active release');
      }
      await this.route([{ workload: previous.workload, weight: 100 }]);
      await this.drain();
    }
    await this.deps.runtime.delete({
      kind: 'service',
      namespace: scope.namespace,
      name: deployment.workload,
    });
    this.update(
      {
        status: previous ? 'rolled_back' : 'cancelled',
        strategy_data: {
          ...this.deployment.strategy_data,
          switched_traffic: 0,
          desired_switched_traffic: 0,
        },
      },
      previous ? 'rolled back: the new release is removed' : 'cancelled: the release is removed',
    );
  }

  /** Lets requests already on their way to a release finish before it goes (connection draining). */
  private drain(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.deps.drainMs ?? 2000));
  }

  /** The deployment is the scope's active one from now on. */
  private complete(): void {
    this.setStatus('finalized', 'finalized');
    this.deps.records.updateScope(this.deployment.scope_id, { active_deployment: this.id });
  }

  /** `desired`% on the new release, the rest on the active one. */
  private async split(desired: number): Promise<void> {
    const deployment = this.deployment;
    const previous = deployment.previous_deployment
      ? this.deps.records.deployment(deployment.previous_deployment)
      : null;
    const weights: TrafficWeight[] = [{ workload: deployment.workload, weight: desired }];
    if (previous) weights.unshift({ workload: previous.workload, weight: 100 - desired });
    await this.route(weights);
  }

  private async route(weights: TrafficWeight[]): Promise<void> {
    const scope = this.scope();
    const { address } = await this.deps.runtime.setTraffic(
      {
        namespace: scope.namespace,
        name: scope.slug,
        port: scope.capabilities.port,
        gateway: scope.gateway,
        instances: scope.capabilities.instances,
      },
      weights,
      { readyWithinMs: scope.capabilities.max_startup_seconds * 1000, signal: this.context.signal },
    );
    if (address !== scope.address) this.deps.records.updateScope(scope.id, { address });
  }

  /**
   * Waits until all the workload's instances are ready, reporting healthy_instances as they come.
   * Their output goes to the job's log meanwhile; a failure quotes its last lines.
   */
  private async waitHealthy(
    ref: { kind: 'service'; namespace: string; name: string },
    timeoutMs: number,
  ): Promise<void> {
    const deadline = this.deps.clock.now() + timeoutMs;
    const changes = new ChangeSignal(this.deps.runtime, this.deps.pollMs ?? 250);
    const copier = new LogCopier(this.deps.runtime, (line) => this.context.log(line));
    copier.follow(ref);
    try {
      let reported = -1;
      for (;;) {
        this.context.signal.throwIfAborted();
        const status = await changes.measure(() => this.deps.runtime.status(ref));
        if (status.readyReplicas !== reported) {
          reported = status.readyReplicas;
          this.update(
            {
              strategy_data: {
                ...this.deployment.strategy_data,
                healthy_instances: status.readyReplicas,
              },
            },
            `${status.readyReplicas}/${status.desiredReplicas} instance(s) healthy`,
          );
        }
        if (status.health === 'healthy') return;
        if (status.health === 'failed' || status.health === 'missing')
          throw new InstancesFailed(
            `instances of ${ref.name} failed: ${status.message}`,
            copier.lastLines(ref),
          );
        if (this.deps.clock.now() >= deadline) {
          throw new InstancesFailed(
            `instances of ${ref.name} did not pass their health check within ${Math.round(timeoutMs / 1000)} s: ${status.message}`,
            copier.lastLines(ref),
          );
        }
        await changes.next(this.context.signal);
      }
    } finally {
      changes.stop();
      await copier.stop();
    }
  }
}

/** Instances that failed or never became healthy, with the last lines they wrote. */
class InstancesFailed extends Error {
  constructor(
    message: string,
    readonly lastLines: string[],
  ) {
    super(message);
  }
}
