import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { runAction } from './helpers/action.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';

const IMAGE = 'registry.example.com/shop';

function task(name: string, extra: Record<string, unknown> = {}): string {
  return manifest({ name, type: 'job', 'image-destination': `${IMAGE}/${name}:1`, ...extra });
}

describe('the GitHub Action in direct mode: the engine in the runner against a cluster', () => {
  let kube: KubeApiServer;
  let checkout: TestRepo;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    // The checkout is named after the repository, as actions/checkout names it.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'slipway-runner-work-'));
    checkout = createRepo(
      {
        'tasks/migrate/manifest.json': task('migrate', {
          env: [{ name: 'KUBE_FAKE_LOGS', value: 'migrating\nmigrated 3 tables' }],
        }),
        'tasks/web/manifest.json': manifest({
          name: 'web',
          type: 'service',
          'image-destination': `${IMAGE}/web:1`,
          'container-port': 8080,
        }),
        'jobs/a/manifest.json': task('a'),
        'jobs/b/manifest.json': task('b'),
        'pipelines/nightly/pipeline.json': `${JSON.stringify({
          name: 'nightly',
          tasks: [
            { name: 'a', namespacetask: 'shop/jobs/a' },
            { name: 'b', namespacetask: 'shop/jobs/b', dependance: ['a'] },
          ],
        })}\n`,
      },
      { dir: path.join(parent, 'shop') },
    );
  });
  afterAll(async () => {
    await kube?.close();
    checkout?.cleanup();
  });

  const names = (kind: string, namespace: string) =>
    kube.objects(kind, namespace).map((o) => o.metadata.name as string);

  it('plans, then deploys the checked-out workspace, with outputs and a summary', async () => {
    const planned = await runAction(
      {
        command: 'deploy-workspace',
        kubeconfig: kube.kubeconfigPath,
        namespace: 'shop',
        'dry-run': 'true',
      },
      { workspace: checkout.dir },
    );
    expect(planned.code, planned.stdout).toBe(0);
    expect(planned.summary).toMatch(/<td>job<\/td><td>migrate<\/td><td>would be created<\/td>/);
    expect(names('jobs', 'shop')).toEqual([]);

    const run = await runAction(
      {
        command: 'deploy-workspace',
        kubeconfig: readFileSync(kube.kubeconfigPath, 'utf8'),
        namespace: 'shop',
      },
      { workspace: checkout.dir },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({
      status: 'COMPLETE',
      url: 'https://github.com/acme/shop/actions/runs/4242',
    });
    expect(run.outputs.summary).toMatch(/to namespace shop: 4 created/);
    expect(run.stdout).toContain('[migrate] migrated 3 tables');
    expect(names('jobs', 'shop').sort()).toEqual(['a', 'b', 'migrate']);
    expect(names('deployments', 'shop')).toEqual(['web']);
    expect(run.summary).toMatch(/<td>service<\/td><td>web<\/td><td>created<\/td>/);
  });

  it('finds its own workloads again in the next run: unchanged ones stay, removed tasks are pruned', async () => {
    // Each run of the step starts with no store: the workspace is the same one all the same.
    const inputs = {
      command: 'deploy-workspace',
      kubeconfig: kube.kubeconfigPath,
      namespace: 'shop',
    };
    const again = await runAction(inputs, { workspace: checkout.dir });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs.summary).toMatch(/0 created, 0 changed, 4 unchanged, 0 pruned/);

    checkout.commit({ 'jobs/b/manifest.json': null });
    const pruned = await runAction(inputs, { workspace: checkout.dir });
    expect(pruned.code, pruned.stdout).toBe(0);
    expect(pruned.outputs.summary).toMatch(/0 created, 0 changed, 3 unchanged, 1 pruned/);
    expect(names('jobs', 'shop').sort()).toEqual(['a', 'migrate']);
    checkout.commit({ 'jobs/b/manifest.json': task('b') });
  });

  it('fails the step on a failing task, and its summary still lists what the deploy applied', async () => {
    checkout.commit({
      'jobs/bad/manifest.json': task('bad', { env: [{ name: 'KUBE_FAKE_EXIT_CODE', value: '3' }] }),
    });
    const run = await runAction(
      { command: 'deploy-workspace', kubeconfig: kube.kubeconfigPath, namespace: 'shop' },
      { workspace: checkout.dir },
    );
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('ERROR');
    expect(run.summary).toMatch(/<td>job<\/td><td>bad<\/td><td>created<\/td>/);
    checkout.commit({ 'jobs/bad/manifest.json': null });
  });

  it('leaves a deploy it no longer waits for (its timeout) on the cluster, and says so', async () => {
    checkout.commit({
      'tasks/slow/manifest.json': task('slow', {
        env: [{ name: 'KUBE_FAKE_DURATION_MS', value: '30000' }],
      }),
    });
    const run = await runAction(
      {
        command: 'deploy-task',
        kubeconfig: kube.kubeconfigPath,
        directory: 'tasks/slow',
        namespace: 'late',
        timeout: '3',
      },
      { workspace: checkout.dir },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::deploy of task late/slow is still RUNNING after the timeout; in direct mode the deploy ends with this step: what it applied stays on the cluster as it is, and no one watches it',
    );
    expect(run.summary).toContain(
      'deploy of task late/slow: RUNNING, no longer waited for (timeout)',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(names('jobs', 'late')).toEqual(['slow']);
  });

  it('deploys one task and runs a pipeline', async () => {
    const taskRun = await runAction(
      {
        command: 'deploy-task',
        kubeconfig: kube.kubeconfigPath,
        directory: 'tasks/migrate',
        namespace: 'tasks',
      },
      { workspace: checkout.dir },
    );
    expect(taskRun.code, taskRun.stdout).toBe(0);
    expect(taskRun.outputs.status).toBe('COMPLETE');
    expect(names('jobs', 'tasks')).toEqual(['migrate']);

    const pipeline = await runAction(
      {
        command: 'run-pipeline',
        kubeconfig: kube.kubeconfigPath,
        directory: 'pipelines/nightly',
        namespace: 'batch',
      },
      { workspace: checkout.dir },
    );
    expect(pipeline.code, pipeline.stdout).toBe(0);
    expect(pipeline.outputs.summary).toBe(
      'pipeline nightly succeeded: 2 succeeded, 0 failed, 0 killed, 0 skipped',
    );
  });

  it('refuses what needs a server, and a kubeconfig that is not there', async () => {
    const release = await runAction({
      command: 'finalize',
      kubeconfig: kube.kubeconfigPath,
      scope: '1',
    });
    expect(release.code).toBe(1);
    expect(release.stdout).toContain('::error::command "finalize" needs a Slipway server');
    const missing = await runAction({ command: 'deploy-workspace', kubeconfig: '/nowhere/config' });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(
      '::error::Input "kubeconfig", starting "/now...", looks like neither kubeconfig content nor an existing path',
    );
    expect(missing.stdout).not.toContain('/nowhere/config');
  });
});
