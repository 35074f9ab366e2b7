import { SlipwayError } from '../errors.js';
import type { JobQueue } from '../jobs/index.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../types.js';
import {
  type Application,
  type Asset,
  type Build,
  DEFAULT_CAPABILITIES,
  type Deployment,
  deploymentWorkload,
  ENDED_DEPLOYMENT_STATUSES,
  type Release,
  type Scope,
  slugOf,
} from './model.js';
import { RolloutRecords } from './rollout-records.js';
import type { RolloutParams } from './run-rollout.js';
import type {
  CreateApplicationInput,
  CreateAssetInput,
  CreateBuildInput,
  CreateDeploymentInput,
  CreateReleaseInput,
  CreateScopeInput,
  PatchBuildInput,
  PatchDeploymentInput,
  PatchScopeInput,
} from './schemas.js';
import { planPatch } from './transitions.js';

export interface RolloutServiceDeps {
  store: Store;
  queue: JobQueue;
  clock: Clock;
  settled: (jobId: string) => Promise<void>;
}

export interface Paged<T> {
  results: T[];
  total: number;
}

/** The nullplatform surface's operations: the model's records, and deployments as rollout jobs. */
export class RolloutService {
  readonly records: RolloutRecords;

  constructor(private readonly deps: RolloutServiceDeps) {
    this.records = new RolloutRecords(deps.store, deps.clock);
  }

  createApplication(input: CreateApplicationInput): Application {
    const now = this.records.now();
    return this.records.put('application', {
      id: this.records.nextId('application'),
      name: input.name,
      repository_url: input.repository_url ?? null,
      repository_path: input.repository_path ?? '.',
      status: 'active',
      created_at: now,
      updated_at: now,
    });
  }

  createBuild(input: CreateBuildInput): Build {
    this.mustExist('application', input.application_id, 'application_id');
    const now = this.records.now();
    return this.records.put('build', {
      id: this.records.nextId('build'),
      application_id: input.application_id,
      status: input.status ?? 'pending',
      commit: { id: input.commit?.id ?? null, permalink: input.commit?.permalink ?? null },
      branch: input.branch ?? null,
      description: input.description ?? null,
      assets: [],
      created_at: now,
      updated_at: now,
    });
  }

  patchBuild(id: number, input: PatchBuildInput): Build {
    return this.deps.store.transaction(() => {
      const build = this.records.build(id);
      return this.records.put('build', { ...build, ...input, updated_at: this.records.now() });
    });
  }

  addAsset(buildId: number, input: CreateAssetInput): Asset {
    return this.deps.store.transaction(() => {
      const build = this.records.build(buildId);
      if (build.assets.some((a) => a.name === input.name)) {
        throw new SlipwayError(
          'CONFLICT',
          `build ${buildId} already has an asset named '${input.name}'`,
        );
      }
      if (input.type === 'directory') refuseShortCommit(build, input.name);
      const asset: Asset = {
        id: this.records.nextId('asset'),
        build_id: buildId,
        ...input,
        created_at: this.records.now(),
      };
      this.records.put('build', {
        ...build,
        assets: [...build.assets, asset],
        updated_at: this.records.now(),
      });
      return asset;
    });
  }

  createRelease(input: CreateReleaseInput): Release {
    this.mustExist('application', input.application_id, 'application_id');
    this.mustExist('build', input.build_id, 'build_id');
    const build = this.records.build(input.build_id);
    if (build.application_id !== input.application_id) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `build ${build.id} belongs to application ${build.application_id}, not ${input.application_id}`,
      );
    }
    if (build.status !== 'successful') {
      throw new SlipwayError(
        'BAD_REQUEST',
        `build ${build.id} is ${build.status}; a release needs a successful build`,
      );
    }
    const taken = this.records
      .list('release', input.application_id)
      .find((r) => r.semver === input.semver);
    if (taken)
      throw new SlipwayError(
        'CONFLICT',
        `application ${input.application_id} already has release ${input.semver} (release ${taken.id})`,
      );
    const now = this.records.now();
    return this.records.put('release', {
      id: this.records.nextId('release'),
      ...input,
      created_at: now,
      updated_at: now,
    });
  }

  createScope(input: CreateScopeInput): Scope {
    const application = this.records.has('application', input.application_id)
      ? this.records.application(input.application_id)
      : undefined;
    if (!application)
      throw new SlipwayError(
        'BAD_REQUEST',
        `"application_id" is ${input.application_id}; no such application`,
      );
    const slug = this.scopeSlug(application.id, input.name);
    const namespace =
      input.namespace ?? (slugOf(application.name, 'app') || `app-${application.id}`);
    // A scope runs, and takes traffic, as `slug` in `namespace`: two scopes there would be one
    // workload, and the newer one's releases would serve the older one's address.
    const holder = this.records
      .list('scope')
      .find((s) => s.namespace === namespace && s.slug === slug);
    if (holder) {
      throw new SlipwayError(
        'CONFLICT',
        `scope ${holder.id} '${holder.name}' of application ${holder.application_id} already runs as '${slug}' in namespace '${namespace}'; give this scope another name, or another "namespace"`,
      );
    }
    const now = this.records.now();
    return this.records.put('scope', {
      id: this.records.nextId('scope'),
      application_id: application.id,
      name: input.name,
      slug,
      namespace,
      type: 'kubernetes',
      status: 'active',
      asset_name: input.asset_name ?? null,
      gateway: input.gateway ?? null,
      capabilities: mergeCapabilities(DEFAULT_CAPABILITIES, input.capabilities),
      active_deployment: null,
      address: null,
      created_at: now,
      updated_at: now,
    });
  }

  /**
   * The slug of a scope `name` in an application: a 400 for a name with no letter or digit, a 409
   * naming the scope (other than `except`) whose slug or name it would share.
   */
  private scopeSlug(applicationId: number, name: string, except?: number): string {
    const slug = slugOf(name, 'scope');
    if (!slug)
      throw new SlipwayError(
        'BAD_REQUEST',
        `"name" is "${name}"; expected a name with letters or digits`,
      );
    const taken = this.records
      .list('scope', applicationId)
      .find((s) => s.id !== except && (s.slug === slug || s.name === name));
    if (taken) {
      throw new SlipwayError(
        'CONFLICT',
        `application ${applicationId} already has a scope named like '${name}': scope ${taken.id} '${taken.name}' has the Kubernetes name '${taken.slug}'`,
      );
    }
    return slug;
  }

  patchScope(id: number, input: PatchScopeInput): Scope {
    return this.deps.store.transaction(() => {
      const scope = this.records.scope(id);
      // A scope keeps its slug (its workloads and Service) when renamed; the new name is still
      // held to the rules of a new scope's, so two scopes are never named alike.
      if (input.name !== undefined) this.scopeSlug(scope.application_id, input.name, scope.id);
      return this.records.updateScope(id, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.asset_name !== undefined ? { asset_name: input.asset_name } : {}),
        ...(input.gateway !== undefined ? { gateway: input.gateway } : {}),
        ...(input.capabilities
          ? { capabilities: mergeCapabilities(scope.capabilities, input.capabilities) }
          : {}),
      });
    });
  }

  /**
   * Creates a deployment of a release on a scope and starts it: `initial` when the scope has no
   * active deployment, `blue_green` beside the active one otherwise. One at a time per scope.
   */
  createDeployment(input: CreateDeploymentInput, identity: string | null): Deployment {
    const created = this.deps.store.transaction(() => {
      const scope = this.records.has('scope', input.scope_id)
        ? this.records.scope(input.scope_id)
        : undefined;
      if (!scope)
        throw new SlipwayError('BAD_REQUEST', `"scope_id" is ${input.scope_id}; no such scope`);
      const release = this.records.has('release', input.release_id)
        ? this.records.release(input.release_id)
        : undefined;
      if (!release)
        throw new SlipwayError(
          'BAD_REQUEST',
          `"release_id" is ${input.release_id}; no such release`,
        );
      if (release.application_id !== scope.application_id) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `release ${release.id} belongs to application ${release.application_id}, scope ${scope.id} to ${scope.application_id}`,
        );
      }
      const build = this.records.build(release.build_id);
      const assetName = input.asset_name ?? scope.asset_name;
      if (!assetName) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `scope ${scope.id} has no asset_name and the deployment gives none; expected one of build ${build.id}'s assets: ${build.assets.map((a) => a.name).join(', ') || 'none yet'}`,
        );
      }
      const asset = build.assets.find((a) => a.name === assetName);
      if (!asset) {
        throw new SlipwayError(
          'BAD_REQUEST',
          `asset '${assetName}' is not among the assets of build ${build.id}: ${build.assets.map((a) => a.name).join(', ') || 'none'}`,
        );
      }
      if (asset.type === 'directory') refuseShortCommit(build, asset.name);
      const running = this.records
        .list('deployment', scope.application_id)
        .find((d) => d.scope_id === scope.id && !ENDED_DEPLOYMENT_STATUSES.includes(d.status));
      if (running)
        throw new SlipwayError(
          'BAD_REQUEST',
          `already a running deployment on scope ${scope.id}: deployment ${running.id} (${running.status}); finalize or cancel it first`,
        );
      if (!scope.asset_name) this.records.updateScope(scope.id, { asset_name: assetName });
      const id = this.records.nextId('deployment');
      const now = this.records.now();
      const previous = scope.active_deployment;
      const instances = scope.capabilities.instances;
      const deployment = this.records.put('deployment', {
        id,
        application_id: scope.application_id,
        scope_id: scope.id,
        release_id: release.id,
        asset_name: assetName,
        status: 'creating',
        strategy: previous ? 'blue_green' : 'initial',
        strategy_data: {
          switched_traffic: 0,
          desired_switched_traffic: 0,
          amount_instances_to_wait: instances,
          launched_instances: 0,
          healthy_instances: 0,
        },
        previous_deployment: previous,
        workload: deploymentWorkload(scope, id),
        messages: [
          {
            date: now,
            level: 'info',
            message: `${previous ? 'blue-green' : 'initial'} deployment of release ${release.semver} on scope ${scope.name} created${identity ? ` by ${identity}` : ''}`,
          },
        ],
        created_at: now,
        updated_at: now,
      });
      this.step(deployment, { deploymentId: id, step: 'launch' }, identity);
      return deployment;
    });
    return created;
  }

  /** Applies a PATCH (traffic, finalize, cancel): checked now, carried out by rollout jobs. */
  async patchDeployment(
    id: number,
    input: PatchDeploymentInput,
    identity: string | null,
  ): Promise<void> {
    const deployment = this.records.deployment(id);
    const steps = planPatch(deployment, input);
    for (const step of steps) {
      if (step.kind === 'traffic') {
        this.records.updateDeployment(id, {
          strategy_data: {
            ...this.records.deployment(id).strategy_data,
            desired_switched_traffic: step.desired,
          },
        });
        this.step(
          deployment,
          { deploymentId: id, step: 'traffic', desired: step.desired },
          identity,
        );
      } else if (step.kind === 'finalize') {
        this.records.updateDeployment(
          id,
          { status: 'finalizing' },
          {
            date: this.records.now(),
            level: 'info',
            message: `finalizing${identity ? ` (asked by ${identity})` : ''}`,
          },
        );
        this.step(deployment, { deploymentId: id, step: 'finalize' }, identity);
      } else {
        // The status, the cancel step and the withdrawal of a launch still under way commit
        // together: a crash right after leaves the cancel queued, never a `cancelling`
        // deployment that nothing carries on. Steps of a scope run one at a time, so the
        // cancel runs once the withdrawn launch has wound down.
        const withdrawn = this.deps.store.transaction(() => {
          this.records.updateDeployment(
            id,
            { status: 'cancelling' },
            {
              date: this.records.now(),
              level: 'info',
              message: `cancelling${identity ? ` (asked by ${identity})` : ''}`,
            },
          );
          this.step(deployment, { deploymentId: id, step: 'cancel' }, identity);
          // Instances still starting are not waited for: their launch is withdrawn.
          const launching = this.deps.store
            .listJobs(
              { target: rolloutTarget(deployment.scope_id), status: ['QUEUED', 'RUNNING'] },
              { offset: 0, limit: 100 },
            )
            .items.filter((j) => {
              const params = j.params as unknown as RolloutParams;
              return params.step === 'launch' && params.deploymentId === id;
            });
          for (const job of launching) this.deps.queue.withdraw(job.id, 'cancel');
          return launching;
        });
        for (const job of withdrawn) await this.deps.settled(job.id);
      }
    }
  }

  list<K extends 'application' | 'build' | 'release' | 'scope' | 'deployment'>(
    kind: K,
    filter: Record<string, string | number | undefined>,
    page: { offset: number; limit: number },
  ) {
    const applicationId =
      typeof filter.application_id === 'number' ? filter.application_id : undefined;
    const all = this.records
      .list(kind, applicationId)
      .filter((entity) =>
        Object.entries(filter).every(
          ([key, value]) =>
            value === undefined ||
            String((entity as unknown as Record<string, unknown>)[key]) === String(value),
        ),
      );
    return { results: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  private step(deployment: Deployment, params: RolloutParams, identity: string | null): void {
    this.deps.queue.enqueue({
      type: 'ROLLOUT',
      target: rolloutTarget(deployment.scope_id),
      params: { ...params },
      identity,
    });
  }

  private mustExist(kind: 'application' | 'build', id: number, field: string): void {
    if (!this.records.has(kind, id))
      throw new SlipwayError('BAD_REQUEST', `"${field}" is ${id}; no such ${kind}`);
  }
}

/** Steps of one scope's deployments never run at once. */
export function rolloutTarget(scopeId: number): string {
  return `scope:${scopeId}`;
}

function mergeCapabilities(
  base: Scope['capabilities'],
  change: CreateScopeInput['capabilities'],
): Scope['capabilities'] {
  return {
    port: change?.port ?? base.port,
    instances: change?.instances ?? base.instances,
    max_startup_seconds: change?.max_startup_seconds ?? base.max_startup_seconds,
    health_check: { ...base.health_check, ...(change?.health_check ?? {}) },
  };
}

/**
 * A `directory` asset is fetched from git at its build's commit, which takes the full id: git
 * fetches no abbreviated one. Said at the request (`POST /build/:id/asset`, `POST /deployment`)
 * rather than by the deployment failing once under way; a `docker-image` build may keep a short
 * id, which only describes it.
 */
function refuseShortCommit(build: Build, assetName: string): void {
  const id = build.commit.id;
  if (id === null || /^[0-9a-f]{40}$/.test(id)) return;
  throw new SlipwayError(
    'BAD_REQUEST',
    `build ${build.id}'s "commit.id" is "${id}", but asset '${assetName}' is a directory, fetched from git at the build's commit; expected the build made with the full 40-hex commit id`,
  );
}
