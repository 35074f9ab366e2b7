import type { V1CronJob, V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { judgeCronJob, judgeDeployment, judgeJob } from '../core/runtime/kubernetes/index.js';

const T0 = new Date('2026-11-24T10:00:00Z');
const T1 = new Date('2026-11-24T10:00:05Z');

function pod(overrides: {
  phase?: string;
  ready?: boolean;
  waiting?: { reason: string; message?: string };
  exitCode?: number;
  restarts?: number;
  lastExit?: number;
  probed?: boolean;
}): V1Pod {
  return {
    metadata: { name: 'p-1', namespace: 'demo' },
    spec: {
      containers: [
        {
          name: 'task',
          image: 'x',
          ...(overrides.probed
            ? { readinessProbe: { httpGet: { path: '/health', port: 8080 } } }
            : {}),
        },
      ],
    },
    status: {
      phase: overrides.phase ?? 'Running',
      startTime: T0,
      conditions: [{ type: 'Ready', status: overrides.ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'task',
          image: 'x',
          imageID: '',
          ready: overrides.ready ?? false,
          restartCount: overrides.restarts ?? 0,
          state: overrides.waiting
            ? { waiting: overrides.waiting }
            : overrides.exitCode !== undefined
              ? { terminated: { exitCode: overrides.exitCode } }
              : { running: { startedAt: T0 } },
          ...(overrides.lastExit !== undefined
            ? { lastState: { terminated: { exitCode: overrides.lastExit } } }
            : {}),
        },
      ],
    },
  };
}

describe('judging health from Kubernetes objects', () => {
  it('a Job is progressing while its pod runs, healthy once Complete, failed once Failed', () => {
    const running: V1Job = { metadata: { name: 'j' }, status: { active: 1, startTime: T0 } };
    expect(judgeJob(running, [pod({})])).toMatchObject({ health: 'progressing', phase: 'running' });
    const complete: V1Job = {
      metadata: { name: 'j' },
      status: {
        succeeded: 1,
        startTime: T0,
        completionTime: T1,
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    };
    expect(judgeJob(complete, [pod({ phase: 'Succeeded', exitCode: 0 })])).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
      exitCode: 0,
      completionTime: T1.toISOString(),
    });
    const failed: V1Job = {
      metadata: { name: 'j' },
      status: {
        failed: 1,
        startTime: T0,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastTransitionTime: T1,
          },
        ],
      },
    };
    expect(judgeJob(failed, [pod({ phase: 'Failed', exitCode: 3 })])).toMatchObject({
      health: 'failed',
      phase: 'failed',
      exitCode: 3,
      message: 'BackoffLimitExceeded: Job has reached the specified backoff limit (exit code 3)',
    });
  });

  it('a Job whose image cannot be pulled has failed, without waiting for a timeout', () => {
    const job: V1Job = { metadata: { name: 'j' }, status: { active: 1 } };
    const judged = judgeJob(job, [
      pod({
        phase: 'Pending',
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' },
      }),
    ]);
    expect(judged).toMatchObject({
      health: 'failed',
      message: 'ImagePullBackOff: Back-off pulling image "nope"',
    });
  });

  it('a Deployment is healthy when the latest generation is observed and all replicas are updated and ready', () => {
    const deployment = (status: V1Deployment['status'], generation = 2): V1Deployment => ({
      metadata: { name: 'd', generation },
      spec: { replicas: 2, selector: {}, template: {} },
      status,
    });
    expect(
      judgeDeployment(
        deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2 }),
        [],
        null,
      ),
    ).toMatchObject({
      health: 'healthy',
      readyReplicas: 2,
      desiredReplicas: 2,
      message: '2/2 ready',
    });
    // The controller has not seen generation 2 yet: the old pods' readiness proves nothing.
    expect(
      judgeDeployment(
        deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2 }),
        [],
        null,
      ).health,
    ).toBe('progressing');
    expect(
      judgeDeployment(
        deployment({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 2 }),
        [],
        null,
      ).health,
    ).toBe('progressing');
    const notReady = judgeDeployment(
      deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1 }),
      [pod({ ready: false, probed: true })],
      null,
    );
    expect(notReady).toMatchObject({
      health: 'progressing',
      message: '1/2 ready: pod p-1 is running but not ready (health check failing)',
    });
    // Without a readiness probe there is no health check to blame.
    expect(
      judgeDeployment(
        deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1 }),
        [pod({ ready: false })],
        null,
      ).message,
    ).toBe('1/2 ready: pod p-1 is running but not ready');
  });

  it('a Deployment has failed on a crash loop or a passed progress deadline', () => {
    const deployment: V1Deployment = {
      metadata: { name: 'd', generation: 1 },
      spec: { replicas: 1, selector: {}, template: {} },
      status: { observedGeneration: 1 },
    };
    expect(
      judgeDeployment(
        deployment,
        [pod({ waiting: { reason: 'CrashLoopBackOff' }, restarts: 4, lastExit: 1 })],
        null,
      ),
    ).toMatchObject({
      health: 'failed',
      message: 'CrashLoopBackOff: exited with code 1 (4 restarts)',
    });
    const stalled: V1Deployment = {
      ...deployment,
      status: {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "d-1" has timed out progressing.',
          },
        ],
      },
    };
    expect(judgeDeployment(stalled, [], null)).toMatchObject({
      health: 'failed',
      message: 'ProgressDeadlineExceeded: ReplicaSet "d-1" has timed out progressing.',
    });
  });

  it('a CronJob is healthy once scheduled, and says when it last ran', () => {
    const cronJob: V1CronJob = {
      metadata: { name: 'c' },
      spec: { schedule: '0 3 * * *', jobTemplate: {} },
      status: { lastScheduleTime: T0, lastSuccessfulTime: T1 },
    };
    expect(judgeCronJob(cronJob)).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
      message: `scheduled "0 3 * * *"; last run at ${T0.toISOString()}`,
    });
    expect(judgeCronJob({ ...cronJob, status: {} })).toMatchObject({
      health: 'healthy',
      phase: 'pending',
    });
  });
});
