import { describe, expect, it } from 'vitest';
import {
  type Instance,
  type ManagedWorkload,
  newInstance,
  newManaged,
} from '../core/runtime/local/managed-workload.js';
import type { StartedProcess } from '../core/runtime/local/start-process.js';
import { workloadStatus } from '../core/runtime/local/workload-status.js';
import type { WorkloadKind } from '../core/runtime/types.js';
import { nodeWorkload } from './helpers/local-runtime/workloads.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const RUNNING = { pid: 1, marker: 'm', ended: false } as unknown as StartedProcess;

function managed(
  kind: WorkloadKind,
  replicas: number,
  instances: Partial<Instance>[],
): ManagedWorkload {
  const schedule = kind === 'cronjob' ? '0 3 * * *' : null;
  const workload = nodeWorkload(kind, 'w', '1', { replicas, schedule, workdir: '/tmp' });
  const m = newManaged({ workload, hash: 'h', revision: 1, created: NOW.toISOString() }, 10);
  m.instances = instances.map((fields, i) => ({ ...newInstance(`w-1-${i}`, null), ...fields }));
  return m;
}

describe('judging the health of local workloads (pure)', () => {
  it('calls a replica set healthy only when every replica is ready, naming the first that is not', () => {
    const judged = workloadStatus(
      { kind: 'deployment', namespace: 'test', name: 'w' },
      managed('deployment', 2, [
        { ready: true, process: RUNNING, startTime: '2030-01-01T00:00:02.000Z' },
        {
          process: null,
          lastExit: 'exited with code 1',
          restartsSinceReady: 1,
          startTime: '2030-01-01T00:00:01.000Z',
        },
      ]),
      3,
      NOW,
    );
    expect(judged).toMatchObject({
      health: 'progressing',
      phase: 'running',
      readyReplicas: 1,
      desiredReplicas: 2,
      message: 'exited with code 1, restarting (w-1-1; 1/2 ready)',
      startTime: '2030-01-01T00:00:01.000Z',
    });
  });

  it('fails a replica set once a replica restarted crashLoopThreshold times without becoming ready', () => {
    const crashing = managed('service', 1, [
      {
        process: RUNNING,
        lastExit: 'exited with code 2',
        lastExitCode: 2,
        restarts: 7,
        restartsSinceReady: 3,
      },
    ]);
    crashing.ports = [8123];
    const judged = workloadStatus(
      { kind: 'service', namespace: 'test', name: 'w' },
      crashing,
      3,
      NOW,
    );
    expect(judged).toMatchObject({
      health: 'failed',
      phase: 'failed',
      exitCode: 2,
      message: 'CrashLoopBackOff: exited with code 2 (7 restarts)',
      address: 'http://127.0.0.1:8123',
    });
    const below = workloadStatus(
      { kind: 'service', namespace: 'test', name: 'w' },
      managed('service', 1, [
        { process: RUNNING, restartsSinceReady: 2, healthDetail: 'health check answered 500' },
      ]),
      3,
      NOW,
    );
    expect(below).toMatchObject({ health: 'progressing', message: 'health check answered 500' });
  });

  it('gives a cron job the phase of its active or latest run and stays healthy', () => {
    const ref = { kind: 'cronjob' as const, namespace: 'test', name: 'w' };
    const idle = managed('cronjob', 1, []);
    expect(workloadStatus(ref, idle, 3, NOW)).toMatchObject({
      health: 'healthy',
      phase: 'pending',
    });
    idle.run = {
      pod: 'w-1',
      startTime: '2029-12-31T23:59:00.000Z',
      completionTime: '2029-12-31T23:59:01.000Z',
      exitCode: 1,
      message: 'exited with code 1',
    };
    expect(workloadStatus(ref, idle, 3, NOW)).toMatchObject({
      health: 'healthy',
      phase: 'failed',
      exitCode: 1,
      message: `scheduled "0 3 * * *" (UTC); last run exited with code 1 at 2029-12-31T23:59:01.000Z`,
    });
    const active = managed('cronjob', 1, [{ process: RUNNING, startTime: NOW.toISOString() }]);
    expect(workloadStatus(ref, active, 3, NOW)).toMatchObject({
      phase: 'running',
      readyReplicas: 1,
    });
  });

  it('says a workload that does not exist is missing', () => {
    expect(
      workloadStatus({ kind: 'job', namespace: 'ns', name: 'gone' }, undefined, 3, NOW),
    ).toEqual({
      kind: 'job',
      namespace: 'ns',
      name: 'gone',
      health: 'missing',
      phase: 'unknown',
      readyReplicas: 0,
      desiredReplicas: 0,
      message: "job 'gone' does not exist in namespace 'ns'",
      startTime: null,
      completionTime: null,
      exitCode: null,
      address: null,
    });
  });
});
