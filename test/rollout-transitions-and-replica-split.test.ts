import { describe, expect, it } from 'vitest';
import { type Deployment, type DeploymentStatus, planPatch } from '../core/rollouts/index.js';
import { proportionalReplicas } from '../core/runtime/kubernetes/kubernetes-runtime.js';

function deployment(
  status: DeploymentStatus,
  strategy: Deployment['strategy'] = 'blue_green',
): Deployment {
  return {
    id: 7,
    application_id: 1,
    scope_id: 1,
    release_id: 2,
    asset_name: 'api',
    status,
    strategy,
    strategy_data: {
      switched_traffic: 0,
      desired_switched_traffic: 0,
      amount_instances_to_wait: 1,
      launched_instances: 1,
      healthy_instances: 1,
    },
    previous_deployment: strategy === 'blue_green' ? 6 : null,
    workload: 'd-prod-7',
    messages: [],
    created_at: '',
    updated_at: '',
  };
}

describe('the deployment state machine', () => {
  it('allows traffic while running or waiting for instances, on blue-green deployments only', () => {
    expect(
      planPatch(deployment('running'), { strategy_data: { desired_switched_traffic: 30 } }),
    ).toEqual([{ kind: 'traffic', desired: 30 }]);
    expect(
      planPatch(deployment('waiting_for_instances'), {
        strategy_data: { desired_switched_traffic: 10 },
      }),
    ).toEqual([{ kind: 'traffic', desired: 10 }]);
    expect(() =>
      planPatch(deployment('finalized'), { strategy_data: { desired_switched_traffic: 30 } }),
    ).toThrow(
      /is finalized; desired_switched_traffic can change only while it is waiting_for_instances or running/,
    );
    expect(() =>
      planPatch(deployment('running', 'initial'), {
        strategy_data: { desired_switched_traffic: 30 },
      }),
    ).toThrow(/initial deployment/);
  });

  it('finalizes from running and cancels from creating, waiting_for_instances or running', () => {
    expect(planPatch(deployment('running'), { status: 'finalizing' })).toEqual([
      { kind: 'finalize' },
    ]);
    for (const from of ['creating', 'waiting_for_instances', 'running'] as const) {
      expect(planPatch(deployment(from), { status: 'cancelling' })).toEqual([{ kind: 'cancel' }]);
    }
    expect(
      planPatch(deployment('running'), {
        strategy_data: { desired_switched_traffic: 100 },
        status: 'finalizing',
      }),
    ).toEqual([{ kind: 'traffic', desired: 100 }, { kind: 'finalize' }]);
    expect(planPatch(deployment('finalizing'), { status: 'finalizing' })).toEqual([]);
  });

  it.each([
    ['waiting_for_instances', 'finalizing'],
    ['finalized', 'cancelling'],
    ['rolled_back', 'finalizing'],
    ['running', 'deleted'],
    ['running', 'running'],
    ['creating', 'finalized'],
  ] as const)('refuses %s -> %s naming both statuses', (from, to) => {
    if (from === to) {
      expect(planPatch(deployment(from), { status: to })).toEqual([]);
      return;
    }
    expect(() => planPatch(deployment(from), { status: to })).toThrow(
      `cannot move deployment 7 from ${from} to ${to}`,
    );
  });
});

describe('replica counts in proportion to traffic weights', () => {
  it.each([
    [4, [70, 30], [3, 1]],
    [4, [100, 0], [4, 0]],
    [4, [0, 100], [0, 4]],
    [10, [50, 50], [5, 5]],
    [1, [70, 30], [1, 1]],
    [3, [90, 10], [2, 1]],
  ])('%i instances at %j become %j replicas', (instances, weights, replicas) => {
    const split = proportionalReplicas(instances, [
      { workload: 'old', weight: weights[0] as number },
      { workload: 'new', weight: weights[1] as number },
    ]);
    expect([split.get('old'), split.get('new')]).toEqual(replicas);
  });
});
