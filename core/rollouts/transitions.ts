import { SlipwayError } from '../errors.js';
import type { Deployment, DeploymentStatus } from './model.js';

/** What a PATCH of a deployment asks for. */
export interface DeploymentPatch {
  status?: DeploymentStatus;
  strategy_data?: { desired_switched_traffic?: number };
}

/** The steps a PATCH turns into, run in order by the rollout worker. */
export type RolloutStep =
  | { kind: 'traffic'; desired: number }
  | { kind: 'finalize' }
  | { kind: 'cancel' };

/** Statuses a PATCH may ask for, and the statuses each may start from. */
const ALLOWED: Partial<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  finalizing: ['running'],
  cancelling: ['creating', 'waiting_for_instances', 'running'],
};

const TRAFFIC_FROM: readonly DeploymentStatus[] = ['waiting_for_instances', 'running'];

/** Whether a PATCH may move a deployment in status `from` to `to`. */
export function mayMove(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return ALLOWED[to]?.includes(from) ?? false;
}

/**
 * Checks a PATCH against the deployment state machine (DESIGN.md 7.4) and answers the steps it
 * means; a transition the current status does not allow is a 400 naming both statuses. Pure.
 *
 * @example
 * planPatch(running, { strategy_data: { desired_switched_traffic: 30 } }) // [{ kind: 'traffic', desired: 30 }]
 * planPatch(finalized, { status: 'cancelling' }) // throws: cannot go from finalized to cancelling
 */
export function planPatch(deployment: Deployment, patch: DeploymentPatch): RolloutStep[] {
  const steps: RolloutStep[] = [];
  const desired = patch.strategy_data?.desired_switched_traffic;
  if (desired !== undefined) {
    if (deployment.strategy !== 'blue_green') {
      throw new SlipwayError(
        'BAD_REQUEST',
        `deployment ${deployment.id} is an initial deployment; traffic switches only between two releases (blue_green)`,
      );
    }
    if (!TRAFFIC_FROM.includes(deployment.status)) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `deployment ${deployment.id} is ${deployment.status}; desired_switched_traffic can change only while it is ${TRAFFIC_FROM.join(' or ')}`,
      );
    }
    steps.push({ kind: 'traffic', desired });
  }
  const wanted = patch.status;
  if (wanted !== undefined && wanted !== deployment.status) {
    const from = ALLOWED[wanted];
    if (!from?.includes(deployment.status)) {
      const allowed = Object.entries(ALLOWED)
        .map(([to, froms]) => `${to} (from ${froms.join(', ')})`)
        .join(' or ');
      throw new SlipwayError(
        'BAD_REQUEST',
        `cannot move deployment ${deployment.id} from ${deployment.status} to ${wanted}; a PATCH may set ${allowed}`,
      );
    }
    steps.push(wanted === 'finalizing' ? { kind: 'finalize' } : { kind: 'cancel' });
  }
  return steps;
}
