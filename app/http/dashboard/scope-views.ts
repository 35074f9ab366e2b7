import type { Engine } from '../../../core/engine.js';
import {
  type Deployment,
  ENDED_DEPLOYMENT_STATUSES,
  type RolloutRecords,
  type Scope,
} from '../../../core/rollouts/index.js';

/** A release running on a scope and the share of traffic it gets. */
export interface ReleaseOnScope {
  deploymentId: number;
  semver: string;
  status: Deployment['status'];
  /** Percent of requests it answers now. */
  traffic: number;
}

/** A nullplatform scope as the overview shows it: what serves it, and what may replace that. */
export interface ScopeView {
  id: number;
  name: string;
  application: string;
  address: string | null;
  active: ReleaseOnScope | null;
  /** An unfinished deployment (initial, or blue-green beside the active one). */
  candidate: (ReleaseOnScope & { strategy: Deployment['strategy']; desired: number }) | null;
}

const MAX_SCOPES = 200;

/**
 * Every scope with its active release and any candidate deployment. The candidate's
 * `switched_traffic` is the share already moved to it; the active release answers the rest.
 */
export function scopeViews(engine: Engine): ScopeView[] {
  const records = engine.rollouts.records;
  const scopes = engine.rollouts.list('scope', {}, { offset: 0, limit: MAX_SCOPES }).results;
  return scopes.map((scope) => scopeView(records, scope));
}

function scopeView(records: RolloutRecords, scope: Scope): ScopeView {
  const deployments = records
    .list('deployment', scope.application_id)
    .filter((d) => d.scope_id === scope.id);
  const activeDeployment = deployments.find((d) => d.id === scope.active_deployment);
  const pending = deployments.findLast(
    (d) => d.id !== scope.active_deployment && !ENDED_DEPLOYMENT_STATUSES.includes(d.status),
  );
  const moved = pending?.strategy_data.switched_traffic ?? 0;
  return {
    id: scope.id,
    name: scope.name,
    application: applicationName(records, scope.application_id),
    address: scope.address,
    active: activeDeployment
      ? {
          deploymentId: activeDeployment.id,
          semver: semverOf(records, activeDeployment.release_id),
          status: activeDeployment.status,
          traffic: pending ? 100 - moved : 100,
        }
      : null,
    candidate: pending
      ? {
          deploymentId: pending.id,
          semver: semverOf(records, pending.release_id),
          status: pending.status,
          strategy: pending.strategy,
          traffic: moved,
          desired: pending.strategy_data.desired_switched_traffic,
        }
      : null,
  };
}

function semverOf(records: RolloutRecords, releaseId: number): string {
  return records.has('release', releaseId) ? records.release(releaseId).semver : `#${releaseId}`;
}

function applicationName(records: RolloutRecords, id: number): string {
  return records.has('application', id) ? records.application(id).name : `#${id}`;
}
