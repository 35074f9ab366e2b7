import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

const run = promisify(execFile);
const hasKubectl =
  spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error === undefined;

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: x
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
---
apiVersion: batch/v1
kind: Job
metadata:
  name: hello
  namespace: x
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: hello
          image: busybox:1.36
          env:
            - name: KUBE_FAKE_LOGS
              value: "hello from the job"
`;

// CI installs kubectl (Debian's kubernetes-client); without the binary there is nothing to run.
describe.skipIf(!hasKubectl)(
  `kubectl against the test server${hasKubectl ? '' : ' (skipped: no kubectl binary found on PATH)'}`,
  () => {
    let server: KubeApiServer;
    let k: KubeClients;
    let dir: string;

    async function kubectl(...args: string[]): Promise<string> {
      // A private HOME keeps kubectl's discovery cache out of the user's ~/.kube.
      const { stdout } = await run('kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        timeout: 60_000,
      });
      return stdout;
    }

    beforeAll(async () => {
      server = await startKubeApiServer({
        controller: { podStartMs: 5, readyAfterMs: 10, jobDurationMs: 20 },
      });
      k = kubeClients(server);
      dir = mkdtempSync(path.join(os.tmpdir(), 'kubectl-home-'));
      writeFileSync(path.join(dir, 'app.yaml'), MANIFESTS);
    });
    afterAll(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists namespaces as a table', async () => {
      const out = await kubectl('get', 'namespaces');
      expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
      expect(out).toMatch(/^default\s+Active\s+\d+s$/m);
      expect(out).toMatch(/^kube-system\s+Active/m);
    });

    it('applies a Deployment and a Job server-side, gets them, and deletes the Job', async () => {
      expect(await kubectl('create', 'namespace', 'x')).toBe('namespace/x created\n');
      const applied = await kubectl(
        'apply',
        '--server-side',
        '--validate=false',
        '-f',
        path.join(dir, 'app.yaml'),
      );
      expect(applied).toBe(
        'deployment.apps/web serverside-applied\njob.batch/hello serverside-applied\n',
      );

      await eventually(
        async () =>
          (await k.apps.readNamespacedDeployment({ name: 'web', namespace: 'x' })).status
            ?.readyReplicas === 2
            ? true
            : undefined,
        'two ready replicas',
      );
      const json = JSON.parse(await kubectl('get', 'deployments', '-n', 'x', '-o', 'json')) as {
        kind: string;
        items: V1Deployment[];
      };
      expect(json.kind).toBe('List');
      expect(json.items).toHaveLength(1);
      const [web] = json.items;
      expect(web?.metadata?.name).toBe('web');
      expect(web?.status).toMatchObject({
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
      });
      // kubectl hides managedFields in its output; the server recorded kubectl as the applier.
      const stored = server.objects<V1Deployment>('deployments', 'x')[0];
      expect(stored?.metadata?.managedFields?.find((m) => m.manager === 'kubectl')).toMatchObject({
        operation: 'Apply',
      });

      const table = await kubectl('get', 'deployments', '-n', 'x');
      expect(table).toMatch(/^web\s+2\/2\s+2\s+2\s+\d+s$/m);
      await eventually(
        async () =>
          (await k.batch.readNamespacedJob({ name: 'hello', namespace: 'x' })).status?.succeeded ===
          1
            ? true
            : undefined,
        'the job to complete',
      );
      expect(await kubectl('get', 'jobs', '-n', 'x')).toMatch(/^hello\s+Complete\s+1\/1/m);
      expect(await kubectl('logs', '-n', 'x', 'job/hello')).toBe('hello from the job\n');

      const again = await kubectl(
        'apply',
        '--server-side',
        '--validate=false',
        '-f',
        path.join(dir, 'app.yaml'),
      );
      expect(again).toContain('deployment.apps/web serverside-applied');
      expect(
        (await k.apps.readNamespacedDeployment({ name: 'web', namespace: 'x' })).metadata
          ?.generation,
      ).toBe(1);

      expect(await kubectl('delete', 'job', 'hello', '-n', 'x')).toBe(
        'job.batch "hello" deleted\n',
      );
      expect(server.objects('jobs', 'x')).toEqual([]);
      await eventually(
        () =>
          server.objects('pods', 'x').every((p) => p.metadata.labels?.['job-name'] !== 'hello')
            ? true
            : undefined,
        'the job pods to go',
      );
    });

    it('reports a server error as kubectl does', async () => {
      server.inject({ method: 'GET', path: '/apis/apps/v1/namespaces/x/deployments', status: 403 });
      const failed = await kubectl('get', 'deployments', '-n', 'x').catch(
        (error: { stderr: string }) => error.stderr,
      );
      expect(failed).toContain('Error from server (Forbidden): deployments.apps is forbidden');
    });
  },
);
