import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubernetesRuntime, loadKubeConfig } from '../core/runtime/kubernetes/index.js';
import { currentRevisionPods, judgeDeployment } from '../core/runtime/kubernetes/judge-health.js';
import type { Workload } from '../core/runtime/types.js';
import type { Logger } from '../core/types.js';
import { startKubeApiServer } from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

const REVISION = 'deployment.kubernetes.io/revision';
const owner = (uid: string) => [{ apiVersion: 'v1', kind: 'X', name: 'x', uid, controller: true }];

function replicaSet(uid: string, revision: string): V1ReplicaSet {
  return {
    metadata: {
      name: `web-${uid}`,
      uid,
      annotations: { [REVISION]: revision },
      ownerReferences: owner('deploy-uid'),
    },
  };
}

function pod(name: string, rsUid: string, waiting?: string): V1Pod {
  return {
    metadata: { name, ownerReferences: owner(rsUid) },
    // Probed, as a service's container is: not ready means its health check fails.
    spec: {
      containers: [
        { name: 'task', image: 'x', readinessProbe: { httpGet: { path: '/health', port: 8080 } } },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'task',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: waiting ? 4 : 0,
          state: waiting ? { waiting: { reason: waiting } } : { running: {} },
          ...(waiting ? { lastState: { terminated: { exitCode: 1 } } } : {}),
        },
      ],
    },
  };
}

function deployment(revision: string, generation: number, observed: number): V1Deployment {
  return {
    metadata: { name: 'web', uid: 'deploy-uid', generation, annotations: { [REVISION]: revision } },
    spec: { replicas: 1, selector: {}, template: {} },
    status: { observedGeneration: observed, replicas: 2, updatedReplicas: 1, readyReplicas: 0 },
  };
}

describe("a Deployment's health, judged on the pods of its current ReplicaSet", () => {
  const replicaSets = [replicaSet('old', '1'), replicaSet('new', '2')];
  const pods = [pod('web-old-a', 'old', 'CrashLoopBackOff'), pod('web-new-b', 'new')];

  it('leaves out the crash-looping pods of the ReplicaSet being replaced', () => {
    const rolling = deployment('2', 2, 2);
    const current = currentRevisionPods(rolling, replicaSets, pods);
    expect(current.map((p) => p.metadata?.name)).toEqual(['web-new-b']);
    expect(judgeDeployment(rolling, current, null)).toMatchObject({
      health: 'progressing',
      message: '0/1 ready: pod web-new-b is running but not ready (health check failing)',
    });
    // Judged on every pod, the old crash loop would fail a rollout that fixes it.
    expect(judgeDeployment(rolling, pods, null).health).toBe('failed');
  });

  it('still fails on a crash loop of the current ReplicaSet', () => {
    const crashing = deployment('1', 1, 1);
    const current = currentRevisionPods(crashing, replicaSets, pods);
    expect(judgeDeployment(crashing, current, null)).toMatchObject({
      health: 'failed',
      message: 'CrashLoopBackOff: exited with code 1 (4 restarts)',
    });
  });

  it('counts no pod as current before the controller has seen the latest spec', () => {
    // Its revision annotation still names the ReplicaSet about to be replaced.
    const unseen = deployment('1', 2, 1);
    expect(currentRevisionPods(unseen, replicaSets, pods)).toEqual([]);
    expect(judgeDeployment(unseen, [], null)).toMatchObject({
      health: 'progressing',
      message: '0/1 ready: waiting for the controller',
    });
  });

  it('falls back to all its pods, and says once what to grant, when ReplicaSets may not be read', async () => {
    const kube = await startKubeApiServer();
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (_obj, msg) => warnings.push(msg ?? ''),
      error() {},
      child: () => logger,
    };
    const runtime = new KubernetesRuntime({
      kubeConfig: loadKubeConfig({ path: kube.kubeconfigPath, inCluster: false }),
      logger,
      retry: { attempts: 1, backoff: { baseMs: 10, maxMs: 10 } },
    });
    try {
      kube.inject({ path: '/replicasets', status: 403, times: Number.POSITIVE_INFINITY });
      const crasher: Workload = {
        kind: 'deployment',
        namespace: 'rbac',
        name: 'crasher',
        labels: { 'slipway.dev/task': 'crasher' },
        image: 'registry.example.com/crasher:1',
        imagePullPolicy: null,
        command: null,
        env: [{ name: 'KUBE_FAKE_CRASH', value: 'true' }],
        schedule: null,
        replicas: 1,
        port: null,
        resources: {},
        published: null,
        workdir: null,
        source: null,
        specHash: 'h1',
      };
      await runtime.ensureNamespace('rbac');
      await runtime.apply([crasher]);
      const ref = { kind: 'deployment' as const, namespace: 'rbac', name: 'crasher' };
      const failed = await eventually(async () => {
        const status = await runtime.status(ref);
        return status.health === 'failed' ? status : undefined;
      }, 'the crash loop');
      expect(failed.message).toMatch(/^CrashLoopBackOff: exited with code 1/);
      await runtime.status(ref);
      expect(warnings.filter((w) => w.startsWith('cannot read ReplicaSets'))).toEqual([
        'cannot read ReplicaSets: a Deployment is judged on all its pods, old ones included; apply deploy/rbac.yaml to let Slipway read them',
      ]);
    } finally {
      await runtime.stop();
      await kube.close();
    }
  });
});
