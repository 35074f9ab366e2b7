import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createKubernetesRuntime } from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { specHash } from '../core/tasks/index.js';
import type { Job } from '../core/types.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { repoIn } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import { eventually } from './helpers/wait.js';

/** The cron job a run of pipeline `withcron` left before steps ignored their schedule. */
function leftoverCronJob(): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind: 'cronjob',
    namespace: 'flows',
    name: 'withcron-extract',
    labels: {
      [LABELS.managedBy]: 'slipway',
      [LABELS.task]: 'withcron-extract',
      [LABELS.pipeline]: 'withcron',
    },
    image: 'registry.example.com/extract:1',
    imagePullPolicy: null,
    command: null,
    env: [],
    schedule: '0 3 * * *',
    replicas: 1,
    port: null,
    resources: {},
    published: null,
    workdir: null,
    source: null,
  };
  return { ...base, specHash: specHash(base) };
}

describe('a pipeline run on Kubernetes whose step has a schedule', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-kube-'));
  const reposDir = path.join(dir, 'repos');
  let kube: KubeApiServer;
  let engine: Engine;

  beforeAll(async () => {
    repoIn(reposDir, 'flows', {
      'tasks/nightly/manifest.json': manifest({
        name: 'nightly',
        type: 'job',
        schedule: '0 3 * * *',
        'image-destination': 'registry.example.com/extract:1',
      }),
      'pipelines/withcron/pipeline.json': JSON.stringify({
        name: 'withcron',
        tasks: [{ name: 'extract', namespacetask: 'flows/tasks/nightly' }],
      }),
    });
    kube = await startKubeApiServer({ controller: { podStartMs: 5, jobDurationMs: 50 } });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kube.kubeconfigPath);
    engine = createEngine({
      store: createMemoryStore(),
      runtime: createKubernetesRuntime({ kubeConfig }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir }),
      taskTimeoutMs: 20_000,
      healthPollMs: 50,
      pollMs: 20,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    await kube?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs it as a Job, once, and deletes the cron job an earlier run left firing', async () => {
    await engine.runtime.ensureNamespace('flows');
    await engine.runtime.apply([leftoverCronJob()]);
    const { job: started } = await engine.pipelines.run({
      repository: 'flows',
      directory: 'pipelines/withcron',
      branch: 'master',
      namespace: 'flows',
      name: null,
      configuration: undefined,
      identity: 'dev@example.com',
    });
    const ended = await eventually(
      () => {
        const found: Job = engine.jobs.get(started.id);
        return ['COMPLETE', 'ERROR', 'STOPPED'].includes(found.status) ? found : undefined;
      },
      'the run to end',
      20_000,
    );
    expect(ended.status).toBe('COMPLETE');
    expect(kube.objects('cronjobs', 'flows')).toEqual([]);
    expect(kube.objects('jobs', 'flows').map((j) => j.metadata.name)).toEqual(['withcron-extract']);
    const log = engine.jobs
      .logs(started.id, 0, 1000)
      .map((l) => l.line)
      .join('\n');
    expect(log).toContain(
      "cronjob 'withcron-extract' of an earlier run deleted: a pipeline step runs once, not on a schedule",
    );
  });
});
