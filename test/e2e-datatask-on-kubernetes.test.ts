import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { repoIn } from './fixtures/datatask.js';
import { manifest } from './helpers/git.js';
import {
  type Json,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const ME = { identity: 'dev@example.com' };
const IMAGE = 'registry.example.com/flows';

/** A task for the Kubernetes API test server: its KUBE_FAKE_* env says how its pod behaves. */
function kubeTask(
  name: string,
  type: string,
  env: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): string {
  return manifest({
    name,
    type,
    'image-destination': `${IMAGE}/${name}:1`,
    env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
    ...extra,
  });
}

describe('DataTask (seed 001) on the Kubernetes runtime', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-dt-kube-'));
    repoIn(reposDir, 'flows', {
      'tasks/job1/manifest.json': kubeTask('job1', 'job', {
        KUBE_FAKE_DURATION_MS: '100',
        KUBE_FAKE_LOGS: 'job1 done',
      }),
      'tasks/job2/manifest.json': kubeTask('job2', 'job', { KUBE_FAKE_DURATION_MS: '400' }),
      'tasks/job3/manifest.json': kubeTask('job3', 'job', { KUBE_FAKE_DURATION_MS: '400' }),
      'tasks/job4/manifest.json': kubeTask('job4', 'job'),
      'tasks/fail/manifest.json': kubeTask('fail', 'job', {
        KUBE_FAKE_EXIT_CODE: '3',
        KUBE_FAKE_LOGS: 'no such table',
      }),
      'tasks/slow/manifest.json': kubeTask('slow', 'job', { KUBE_FAKE_DURATION_MS: '60000' }),
      'tasks/web/manifest.json': kubeTask('web', 'service', {}, { 'container-port': 8080 }),
      'tasks/worker/manifest.json': kubeTask('worker', 'deployment', {}, { replicas: 2 }),
      'tasks/script/manifest.json': manifest({ name: 'script', type: 'job', cmd: ['./run.sh'] }),
      'pipelines/diamond/pipeline.json': JSON.stringify({
        name: 'diamond',
        tasks: [
          { name: 'job1', namespacetask: 'flows/tasks/job1' },
          { name: 'job2', namespacetask: 'flows/tasks/job2', dependance: ['job1'] },
          { name: 'job3', namespacetask: 'flows/tasks/job3', dependance: ['job1'] },
          { name: 'job4', namespacetask: 'flows/tasks/job4', dependance: ['job2', 'job3'] },
        ],
      }),
      'pipelines/cleanup/pipeline.json': JSON.stringify({
        name: 'cleanup',
        tasks: [
          { name: 'extract', namespacetask: 'flows/tasks/fail' },
          { name: 'load', namespacetask: 'flows/tasks/job4', dependance: ['extract'] },
          {
            name: 'notify',
            namespacetask: 'flows/tasks/job4',
            dependance: ['extract'],
            'run-if-error': true,
          },
        ],
      }),
      'pipelines/long/pipeline.json': JSON.stringify({
        name: 'long',
        tasks: [{ name: 'first', namespacetask: 'flows/tasks/slow' }],
      }),
    });
    server = await startServer({
      reposDir,
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
  });

  const call = (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = ME,
  ) => request(`${server.url}${route}`, method, body, headers);

  async function pipelineEnd(namespace: string, id: string): Promise<Json> {
    return eventually(
      async () => {
        const state = await call('GET', `/v1/pipeline/state/${namespace}/${id}`);
        return ['succeeded', 'failed', 'killed'].includes(state.json.status)
          ? state.json
          : undefined;
      },
      `pipeline ${id} to end`,
      30_000,
    );
  }

  it('deploys a job, a deployment, a service and a cron job as Kubernetes objects, with their state', async () => {
    const job = await call('GET', '/v1/task/deploy/flows/tasks%2Fjob1');
    const worker = await call('GET', '/v1/task/deployinas/flows/tasks%2Fworker/apps/worker');
    const web = await call('POST', '/v2/task/elaborate/deploy/flows/tasks%2Fweb', {
      namespace: 'apps',
    });
    const cron = await call(
      'POST',
      '/v1/task/elaborate/deployinas/flows/tasks%2Fjob4/apps/nightly',
      { schedule: '0 2 * * *' },
    );
    for (const deployed of [job, worker, web, cron]) {
      expect(deployed.status).toBe(202);
      const done = await waitForJob(server, deployed.json.id);
      expect(
        done.status,
        (await server.api('GET', `/api/jobs/${deployed.json.id}/logs`)).text,
      ).toBe('COMPLETE');
    }
    expect((await call('GET', `/v1/task/state/${job.json.id}`)).json).toMatchObject({
      kind: 'job',
      status: 'succeeded',
    });
    expect((await call('GET', `/v1/task/state/${worker.json.id}`)).json).toMatchObject({
      kind: 'deployment',
      status: 'running',
    });
    expect(kube.objects('jobs', 'flows').map((o) => o.metadata.name)).toEqual(['job1']);
    expect(
      kube
        .objects('deployments', 'apps')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['web', 'worker']);
    expect(kube.objects('services', 'apps').map((o) => o.metadata.name)).toContain('web');
    expect(kube.objects('cronjobs', 'apps')[0]?.spec.schedule).toBe('0 2 * * *');
    const log = await server.api('GET', `/api/jobs/${job.json.id}/logs`);
    expect(log.text).toContain('[job1] job1 done');
  });

  it('lists namespaces, tasks and pods from the cluster', async () => {
    expect((await call('GET', '/v1/list/namespaces')).json.namespaces).toEqual(
      expect.arrayContaining(['flows', 'apps']),
    );
    const tasks = (await call('GET', '/v1/list/tasks/apps')).json;
    // web is a service task: its Deployment is listed with the deployments.
    expect(tasks.deployments.map((t: Json) => t.name).sort()).toEqual(['web', 'worker']);
    expect(tasks.services.map((t: Json) => t.name)).toEqual(['web']);
    expect(tasks.cronJobs.map((t: Json) => t.name)).toEqual(['nightly']);
    const pods = (await call('GET', '/v1/list/pods/apps')).json.pods;
    expect(
      pods.filter((p: Json) => p.workload.name === 'worker' && p.phase === 'Running'),
    ).toHaveLength(2);
  });

  it('runs the diamond as Jobs, job2 and job3 at the same time', async () => {
    const run = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fdiamond/nightly');
    const state = await pipelineEnd('flows', run.json.id);
    expect(state.status).toBe('succeeded');
    const t = Object.fromEntries(state.tasks.map((task: Json) => [task.name, task]));
    expect(Date.parse(t.job2.startTime)).toBeLessThan(Date.parse(t.job3.endTime));
    expect(Date.parse(t.job3.startTime)).toBeLessThan(Date.parse(t.job2.endTime));
    expect(Date.parse(t.job4.startTime)).toBeGreaterThanOrEqual(Date.parse(t.job2.endTime));
    expect(kube.objects('jobs', 'flows').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['nightly-job1', 'nightly-job4']),
    );
  });

  it('runs only the run-if-error task after a failure, and kills a running pipeline', async () => {
    const failing = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Fcleanup/cleanup');
    const failed = await pipelineEnd('flows', failing.json.id);
    expect(Object.fromEntries(failed.tasks.map((t: Json) => [t.name, t.status]))).toEqual({
      extract: 'failed',
      load: 'skipped',
      notify: 'succeeded',
    });
    const log = await server.api('GET', `/api/jobs/${failing.json.id}/logs`);
    expect(log.text).toContain('[cleanup-extract] no such table');

    const long = await call('GET', '/v1/pipeline/runas/flows/pipelines%2Flong/long');
    await eventually(
      async () =>
        (await call('GET', `/v1/pipeline/state/flows/${long.json.id}`)).json.tasks[0].status ===
        'running'
          ? true
          : undefined,
      'the task to run',
    );
    const killed = await call('GET', `/v1/pipeline/kill/${long.json.id}`);
    expect(killed.json).toMatchObject({
      status: 'killed',
      tasks: [expect.objectContaining({ name: 'first', status: 'killed' })],
    });
    expect(kube.objects('jobs', 'flows').map((o) => o.metadata.name)).not.toContain('long-first');
  });

  it('serves the other deploy and run routes the same way on Kubernetes', async () => {
    const as = await call('POST', '/v1/task/deployas/flows/tasks%2Fjob4/renamed');
    const inline = await call('POST', '/v2/task/deploy/with-configuration', {
      namespace: 'inline',
      configuration: { name: 'inline', type: 'job', 'image-destination': `${IMAGE}/inline:1` },
    });
    const runinas = await call(
      'GET',
      '/v1/pipeline/runinas/flows/pipelines%2Fdiamond/other-ns/again',
    );
    const elaborate = await call(
      'POST',
      '/v1/pipeline/elaborate/runinas/flows/pipelines%2Fdiamond/other-ns/third',
      { branch: 'master' },
    );
    const configured = await call('POST', '/v2/pipeline/run/with-configuration', {
      namespace: 'inline',
      configuration: { name: 'solo', tasks: [{ name: 'only', namespacetask: 'flows/tasks/job4' }] },
    });
    for (const deployed of [as, inline])
      expect((await waitForJob(server, deployed.json.id)).status).toBe('COMPLETE');
    for (const [namespace, run] of [
      ['other-ns', runinas],
      ['other-ns', elaborate],
      ['inline', configured],
    ] as const) {
      expect((await pipelineEnd(namespace, run.json.id)).status).toBe('succeeded');
    }
    expect(kube.objects('jobs', 'flows').map((o) => o.metadata.name)).toContain('renamed');
    expect(
      kube
        .objects('jobs', 'inline')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['inline', 'solo-only']);
    expect(
      (await call('GET', '/v1/list/pipelines/other-ns')).json.pipelines
        .map((p: Json) => p.name)
        .sort(),
    ).toEqual(['again', 'third']);
    expect((await call('GET', '/v1/list/tasks')).json.jobs.map((t: Json) => t.name)).toEqual(
      expect.arrayContaining(['renamed', 'inline']),
    );
    expect((await call('GET', '/v1/list/pods')).json.pods.length).toBeGreaterThan(0);
  });

  it('refuses a task with no image before it is queued: Kubernetes runs images', async () => {
    const refused = await call('GET', '/v1/task/deploy/flows/tasks%2Fscript');
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.message).toMatch(
      /^job 'script' has no "image-destination"; the kubernetes runtime runs images/,
    );
    expect(kube.objects('jobs', 'flows').map((j) => j.metadata.name)).not.toContain('script');
  });

  it('refuses a schedule the local runtime could run but a CronJob cannot, before it is queued', async () => {
    const jobsBefore = (await server.api('GET', '/api/jobs')).json.page.totalElements;
    for (const [schedule, why] of [
      ['0 0 L * *', '"L" in the day-of-month field is neither a number'],
      ['0 0 * * 7', 'weekday 7 is above 6 (Sunday is 0)'],
    ]) {
      const refused = await call(
        'POST',
        '/v1/task/elaborate/deployinas/flows/tasks%2Fjob4/apps/monthly',
        { schedule },
      );
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json.message).toContain(
        `cronjob 'monthly' has the schedule "${schedule}", which Kubernetes refuses: ${why}`,
      );
    }
    expect((await server.api('GET', '/api/jobs')).json.page.totalElements).toBe(jobsBefore);
    expect(kube.objects('cronjobs', 'apps').map((c) => c.metadata.name)).not.toContain('monthly');
  });

  it('loads a configuration from git', async () => {
    const loading = await call('POST', '/v2/task/load/configuration/from-git/flows/tasks%2Fweb');
    const done = await eventually(async () => {
      const state = await call(
        'GET',
        `/v2/task/get/configuration-loading-state/${loading.json.work_id}`,
      );
      return state.json.status === 'done' ? state.json : undefined;
    }, 'the configuration');
    expect(done.configuration).toMatchObject({ name: 'web', type: 'service' });
  });

  it('deletes each kind from the cluster and answers 404 for a missing one', async () => {
    const front = await call('GET', '/v1/task/deployinas/flows/tasks%2Fweb/apps/front');
    expect((await waitForJob(server, front.json.id)).status).toBe('COMPLETE');
    // The delete deployment route takes a service's Deployment with its Service, never half.
    const viaDeployment = await call('GET', '/v1/delete/deployment/apps/front');
    expect(viaDeployment.json).toEqual({
      deleted: { kind: 'service', namespace: 'apps', name: 'front' },
    });
    expect(kube.objects('services', 'apps').map((o) => o.metadata.name)).not.toContain('front');
    expect(kube.objects('deployments', 'apps').map((o) => o.metadata.name)).not.toContain('front');
    const cases: Array<[string, string, string]> = [
      ['job', 'flows', 'job1'],
      ['deployment', 'apps', 'worker'],
      ['service', 'apps', 'web'],
      ['cronjob', 'apps', 'nightly'],
    ];
    for (const [kind, namespace, name] of cases) {
      expect(
        (await call('GET', `/v1/delete/${kind}/${namespace}/${name}`)).status,
        `${kind} ${name}`,
      ).toBe(200);
      expect((await call('GET', `/v1/delete/${kind}/${namespace}/${name}`)).status).toBe(404);
    }
    expect(kube.objects('deployments', 'apps')).toEqual([]);
    expect(kube.objects('services', 'apps').map((o) => o.metadata.name)).not.toContain('web');
    expect(kube.objects('cronjobs', 'apps')).toEqual([]);
    expect(kube.objects('jobs', 'flows').map((o) => o.metadata.name)).not.toContain('job1');
  });
});
