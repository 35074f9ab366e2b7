import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { RecordCollection, Store } from '../store/types.js';
import { type Clock, isoTime } from '../types.js';
import type { Application, Build, Deployment, DeploymentMessage, Release, Scope } from './model.js';
import type { InstanceSource } from './render-instance.js';

type Kind = 'application' | 'build' | 'release' | 'scope' | 'deployment';

const COLLECTION: Record<Kind, RecordCollection> = {
  application: 'np-applications',
  build: 'np-builds',
  release: 'np-releases',
  scope: 'np-scopes',
  deployment: 'np-deployments',
};

interface Entities {
  application: Application;
  build: Build;
  release: Release;
  scope: Scope;
  deployment: Deployment;
}

/**
 * The nullplatform entities in the store: JSON records with integer ids that are never reused,
 * filed under their application so lists can be filtered by it.
 */
export class RolloutRecords {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  now(): string {
    return isoTime(this.clock.now());
  }

  /** A new id for `kind` (1, 2, ...). */
  nextId(kind: Kind | 'asset'): number {
    return this.store.stableId(`np-${kind}`, randomUUID());
  }

  get<K extends Kind>(kind: K, id: number): Entities[K] {
    const found = this.store.getRecord<Entities[K]>(COLLECTION[kind], String(id));
    if (!found) throw new SlipwayError('NOT_FOUND', `${kind} ${id} does not exist`);
    return found;
  }

  /** Whether `kind` `id` exists (for 400s naming a missing reference in a body). */
  has(kind: Kind, id: number): boolean {
    return this.store.getRecord(COLLECTION[kind], String(id)) !== undefined;
  }

  put<K extends Kind>(
    kind: K,
    entity: Entities[K] & { id: number; application_id?: number },
  ): Entities[K] {
    const applicationId = kind === 'application' ? entity.id : (entity.application_id ?? 0);
    this.store.putRecord(COLLECTION[kind], String(entity.id), String(applicationId), entity);
    return entity;
  }

  /** Every `kind` (of one application when given), by id. */
  list<K extends Kind>(kind: K, applicationId?: number): Entities[K][] {
    return this.store
      .listRecords<Entities[K]>(
        COLLECTION[kind],
        applicationId === undefined ? undefined : String(applicationId),
      )
      .sort((a, b) => (a as { id: number }).id - (b as { id: number }).id);
  }

  application(id: number): Application {
    return this.get('application', id);
  }

  build(id: number): Build {
    return this.get('build', id);
  }

  release(id: number): Release {
    return this.get('release', id);
  }

  scope(id: number): Scope {
    return this.get('scope', id);
  }

  deployment(id: number): Deployment {
    return this.get('deployment', id);
  }

  /** Changes a deployment, optionally adding a message; answers it as stored. */
  updateDeployment(
    id: number,
    change: Partial<Deployment>,
    message?: DeploymentMessage,
  ): Deployment {
    return this.store.transaction(() => {
      const current = this.deployment(id);
      const updated: Deployment = {
        ...current,
        ...change,
        messages: message ? [...current.messages, message] : current.messages,
        updated_at: this.now(),
      };
      return this.put('deployment', updated);
    });
  }

  updateScope(id: number, change: Partial<Scope>): Scope {
    return this.store.transaction(() =>
      this.put('scope', { ...this.scope(id), ...change, updated_at: this.now() }),
    );
  }

  /** Everything a deployment's instances are made of. */
  instanceSource(deployment: Deployment): InstanceSource {
    const release = this.release(deployment.release_id);
    const build = this.build(release.build_id);
    const asset = build.assets.find((a) => a.name === deployment.asset_name);
    if (!asset) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `asset '${deployment.asset_name}' is not among the assets of build ${build.id}: ${build.assets.map((a) => a.name).join(', ') || 'none'}`,
      );
    }
    return {
      application: this.application(release.application_id),
      build,
      release,
      scope: this.scope(deployment.scope_id),
      deployment,
      asset,
    };
  }
}
