import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import {
  deployAndWait,
  type Json,
  jobLog,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

const IMAGE = 'registry.example.com/demo';

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tasks(): Record<string, string> {
  return {
    'tasks/migrate/manifest.json': manifest({
      name: 'migrate',
      type: 'job',
      'image-destination': `${IMAGE}/migrate:1`,
      env: [{ name: 'KUBE_FAKE_LOGS', value: 'migrating\nmigrated 3 tables' }],
    }),
    'tasks/nightly/manifest.json': manifest({
      name: 'nightly',
      type: 'job',
      'image-destination': `${IMAGE}/nightly:1`,
      schedule: '0 3 * * *',
    }),
    'tasks/worker/manifest.json': manifest({
      name: 'worker',
      type: 'deployment',
      'image-destination': `${IMAGE}/worker:1`,
      replicas: 2,
    }),
    'tasks/web/manifest.json': manifest({
      name: 'web',
      type: 'service',
      'image-destination': `${IMAGE}/web:1`,
      'container-port': 8081,
      labels: 'team:web',
      published: { prefix: '/web' },
    }),
  };
}

describe('a workspace deploy to Kubernetes (the API test server) through the REST API', () => {
  let kube: KubeApiServer;
  let server: ServerProcess;
  let repo: TestRepo;
  let workspaceId: string;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    repo = createRepo(tasks());
    server = await startServer({
      env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
    });
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'kube-demo',
      repositoryUrl: repo.dir,
      namespace: 'kube-demo',
    });
    workspaceId = ws.json.id;
  });
  afterAll(async () => {
    await server?.stop();
    await kube?.close();
    repo?.cleanup();
  });

  const deployed = () => deployAndWait(server, workspaceId);

  it('applies every task type with server-side apply and ends COMPLETE once all are healthy', async () => {
    const { done, log } = await deployed();
    expect(done.status, log).toBe('COMPLETE');
    expect(done.result.created).toHaveLength(4);
    // The job's pod output is in the job log, where it outlives the pod.
    expect(log).toContain('[migrate] migrating');
    expect(log).toContain('[migrate] migrated 3 tables');
    expect(kube.objects('namespaces').map((n) => n.metadata.name)).toContain('kube-demo');
    expect(kube.objects('jobs', 'kube-demo').map((o) => o.metadata.name)).toEqual(['migrate']);
    expect(kube.objects('cronjobs', 'kube-demo')[0]?.spec.schedule).toBe('0 3 * * *');
    expect(
      kube
        .objects('deployments', 'kube-demo')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['web', 'worker']);
    expect(kube.objects('services', 'kube-demo')[0]?.spec.ports[0].port).toBe(8081);
    expect(kube.objects('ingresses', 'kube-demo')[0]?.spec.rules[0].http.paths[0].path).toBe(
      '/web',
    );
    const applies = kube.requests.filter(
      (r) => r.method === 'PATCH' && r.contentType?.startsWith('application/apply-patch'),
    );
    expect(applies.length).toBeGreaterThanOrEqual(5);
    expect(
      applies.every((r) => r.query.fieldManager === 'slipway' && r.query.force === 'true'),
    ).toBe(true);
    const web = kube.objects('deployments', 'kube-demo').find((o) => o.metadata.name === 'web');
    expect(web?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'slipway',
      'slipway.dev/workspace': workspaceId,
      'slipway.dev/task': 'web',
      team: 'web',
    });
  });

  // The API test server runs in this process: kubectl must run asynchronously, or it would block it.
  it.skipIf(!kubectlAvailable())('shows kubectl what Slipway applied', async () => {
    const { stdout: out } = await promisify(execFile)(
      'kubectl',
      [
        '--kubeconfig',
        kube.kubeconfigPath,
        'get',
        'deployments,jobs,cronjobs,services',
        '-n',
        'kube-demo',
        '-o',
        'name',
      ],
      { encoding: 'utf8' },
    );
    expect(out.split('\n').filter(Boolean).sort()).toEqual(
      [
        'cronjob.batch/nightly',
        'deployment.apps/web',
        'deployment.apps/worker',
        'job.batch/migrate',
        'service/web',
      ].sort(),
    );
  });

  /** kubectl on the test server, in the workspace's namespace: what someone does by hand. */
  const kubectl = (...args: string[]) =>
    promisify(execFile)('kubectl', [
      '--kubeconfig',
      kube.kubeconfigPath,
      '-n',
      'kube-demo',
      ...args,
    ]);

  it.skipIf(!kubectlAvailable())(
    'puts back what someone changed or deleted with kubectl, and says what had drifted',
    async () => {
      await kubectl('scale', 'deployment/worker', '--replicas=0');
      await kubectl('set', 'image', 'deployment/worker', 'task=evil.example.com/worker:6');
      await kubectl('delete', 'service,ingress', 'web');
      // Beside Slipway's fields, not instead of them: not drift, and left alone.
      await kubectl('label', 'cronjob', 'nightly', 'extra=yes');
      const deployments = () => kube.objects('deployments', 'kube-demo');
      const byName = (name: string) => deployments().find((o) => o.metadata.name === name);
      const refs = (...names: string[]) => names.map((name) => expect.objectContaining({ name }));

      const plan = await server.api('POST', `/api/workspaces/${workspaceId}/deployments?plan=true`);
      const planned = await waitForJob(server, plan.json.id, undefined, 60_000);
      const planLog = await jobLog(server, plan.json.id);
      expect(planned.status, planLog).toBe('COMPLETE');
      expect(planLog).toContain(
        "deployment 'worker' would be changed (drifted from git: Deployment worker: spec.replicas is 0, git says 2)",
      );
      expect(planLog).toContain(
        "service 'web' would be changed (drifted from git: Service web is missing; Ingress web is missing)",
      );
      expect(byName('worker')?.spec.replicas).toBe(0);

      const { done, log } = await deployed();
      expect(done.status, log).toBe('COMPLETE');
      expect(done.result.changed).toEqual([
        {
          kind: 'service',
          namespace: 'kube-demo',
          name: 'web',
          drift: 'Service web is missing; Ingress web is missing',
        },
        {
          kind: 'deployment',
          namespace: 'kube-demo',
          name: 'worker',
          drift: 'Deployment worker: spec.replicas is 0, git says 2',
        },
      ]);
      expect(done.result.unchanged).toEqual(refs('migrate', 'nightly'));
      expect(log).toContain("deployment 'worker' changed (drifted from git:");
      expect(byName('worker')?.spec.replicas).toBe(2);
      expect(byName('worker')?.spec.template.spec.containers[0].image).toBe(`${IMAGE}/worker:1`);
      expect(kube.objects('services', 'kube-demo').map((o) => o.metadata.name)).toEqual(['web']);
      expect(kube.objects('ingresses', 'kube-demo').map((o) => o.metadata.name)).toEqual(['web']);
      expect(kube.objects('cronjobs', 'kube-demo')[0]?.metadata.labels?.extra).toBe('yes');

      // Once put back, nothing has drifted: the next deploy applies nothing.
      const applied = kube.requests.length;
      const again = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
      const quiet = await waitForJob(server, again.json.id, undefined, 60_000);
      expect(quiet.result.unchanged).toHaveLength(4);
      expect(kube.requests.slice(applied).filter((r) => r.method === 'PATCH')).toEqual([]);
    },
  );

  it.skipIf(!kubectlAvailable())(
    'puts back a Service port someone changed: the entry another field manager owns goes too',
    async () => {
      // Server-side apply alone would keep the port kubectl now owns beside the one git names,
      // two ports named http: the API server refuses that (422), on every deploy after.
      await kubectl(
        'patch',
        'service',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/ports/0/port","value":9999}]',
      );
      const ports = () =>
        kube.objects('services', 'kube-demo')[0]?.spec.ports.map((p: Json) => [p.name, p.port]);
      expect(ports()).toEqual([['http', 9999]]);
      const { done, log } = await deployed();
      expect(done.status, log).toBe('COMPLETE');
      expect(done.result.changed).toEqual([
        {
          kind: 'service',
          namespace: 'kube-demo',
          name: 'web',
          drift: expect.stringContaining('Service web: spec.ports'),
        },
      ]);
      expect(ports()).toEqual([['http', 8081]]);
      const again = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
      const quiet = await waitForJob(server, again.json.id, undefined, 60_000);
      expect(quiet.result.changed).toEqual([]);
    },
  );

  it.skipIf(!kubectlAvailable())(
    'leaves an autoscaled Deployment the replicas its autoscaler set, through drift checks and changes',
    async () => {
      const hpa = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-hpa-')), 'hpa.yaml');
      writeFileSync(
        hpa,
        stringify({
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'worker', namespace: 'kube-demo' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' },
            minReplicas: 2,
            maxReplicas: 6,
          },
        }),
      );
      await kubectl('create', '--validate=false', '-f', hpa);
      // What the autoscaler does under load: through the scale subresource, as kubectl scale.
      await kubectl('scale', 'deployment/worker', '--replicas=5');
      const worker = () =>
        kube.objects('deployments', 'kube-demo').find((o) => o.metadata.name === 'worker');
      const deploy = async () => {
        const { done, log } = await deployed();
        expect(done.status, log).toBe('COMPLETE');
        return done;
      };

      const same = await deploy();
      expect(same.result.changed).toEqual([]);
      expect(worker()?.spec.replicas).toBe(5);

      repo.commit({
        'tasks/worker/manifest.json': manifest({
          name: 'worker',
          type: 'deployment',
          'image-destination': `${IMAGE}/worker:2`,
          replicas: 2,
        }),
      });
      const changed = await deploy();
      expect(changed.result.changed).toEqual([
        { kind: 'deployment', namespace: 'kube-demo', name: 'worker' },
      ]);
      expect(worker()?.spec.template.spec.containers[0].image).toBe(`${IMAGE}/worker:2`);
      expect(worker()?.spec.replicas).toBe(5);
      await kubectl('delete', 'hpa', 'worker');

      // A ClusterRole from before it granted reading autoscalers: the deploy goes on, and says so.
      kube.inject({
        method: 'GET',
        path: '/horizontalpodautoscalers',
        status: 403,
        times: Number.POSITIVE_INFINITY,
      });
      try {
        const refused = await deploy();
        // No autoscaler scales the worker any more: its replicas go back to what git says.
        expect(refused.result.changed).toEqual([
          expect.objectContaining({
            name: 'worker',
            drift: 'Deployment worker: spec.replicas is 5, git says 2',
          }),
        ]);
        expect(server.logs().map((l) => l.msg)).toContain(
          'cannot read HorizontalPodAutoscalers: the Deployments they scale get their manifest replicas; apply deploy/rbac.yaml to let Slipway read them',
        );
      } finally {
        kube.clearFaults();
      }
    },
  );

  it('leaves unchanged tasks alone, replaces a changed job, and prunes a removed task', async () => {
    repo.commit({
      'tasks/worker': null,
      'tasks/migrate/manifest.json': manifest({
        name: 'migrate',
        type: 'job',
        'image-destination': `${IMAGE}/migrate:2`,
        env: [{ name: 'KUBE_FAKE_LOGS', value: 'v2 migration' }],
      }),
    });
    const before = kube.objects('jobs', 'kube-demo')[0]?.metadata.uid;
    const { done, log } = await deployed();
    expect(done.status, log).toBe('COMPLETE');
    expect(done.result.changed).toEqual([{ kind: 'job', namespace: 'kube-demo', name: 'migrate' }]);
    expect(done.result.pruned).toEqual([
      { kind: 'deployment', namespace: 'kube-demo', name: 'worker' },
    ]);
    expect(done.result.unchanged.map((r: { name: string }) => r.name).sort()).toEqual([
      'nightly',
      'web',
    ]);
    expect(log).toContain('[migrate] v2 migration');
    expect(kube.objects('jobs', 'kube-demo')[0]?.metadata.uid).not.toBe(before);
    expect(kube.objects('deployments', 'kube-demo').map((o) => o.metadata.name)).toEqual(['web']);
  });

  it('retries through injected API failures and still ends COMPLETE', async () => {
    repo.commit({
      'tasks/extra/manifest.json': manifest({
        name: 'extra',
        type: 'deployment',
        'image-destination': `${IMAGE}/extra:1`,
      }),
    });
    kube.inject({ method: 'PATCH', path: '/deployments/extra', status: 500, times: 2 });
    kube.inject({ method: 'PATCH', path: '/deployments/extra', status: 429, times: 1 });
    const { done, log } = await deployed();
    expect(done.status, log).toBe('COMPLETE');
    const failures = kube.requests.filter(
      (r) => r.method === 'PATCH' && r.path.endsWith('/deployments/extra') && r.status >= 429,
    );
    expect(failures).toHaveLength(3);
  });

  it('ends ERROR when a job fails, naming it and its last lines, and when a pod never becomes ready', async () => {
    repo.commit({
      'tasks/broken/manifest.json': manifest({
        name: 'broken',
        type: 'job',
        'image-destination': `${IMAGE}/broken:1`,
        env: [
          { name: 'KUBE_FAKE_LOGS', value: 'connecting\nno such table' },
          { name: 'KUBE_FAKE_EXIT_CODE', value: '2' },
        ],
      }),
    });
    const { done } = await deployed();
    expect(done.status).toBe('ERROR');
    expect(done.message).toContain("job 'broken' failed: BackoffLimitExceeded");
    expect(done.message).toContain('exit code 2');
    expect(done.message).toContain('no such table');
    // What the deploy applied stands, and its result says so, failed or not.
    expect(done.result).toMatchObject({
      plan: false,
      created: [expect.objectContaining({ kind: 'job', name: 'broken' })],
    });

    repo.commit({
      'tasks/broken': null,
      'tasks/sick/manifest.json': manifest({
        name: 'sick',
        type: 'service',
        'image-destination': `${IMAGE}/sick:1`,
        env: [{ name: 'KUBE_FAKE_READY', value: 'false' }],
      }),
    });
    await server.api('PUT', `/api/workspaces/${workspaceId}`, { timeoutSeconds: 3 });
    const second = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    const timedOut = await waitForJob(server, second.json.id, undefined, 60_000);
    expect(timedOut.status).toBe('ERROR');
    expect(timedOut.message).toMatch(
      /^not healthy after 3 s: service 'sick' progressing: 0\/1 ready/,
    );
    expect(timedOut.result).toMatchObject({
      created: [expect.objectContaining({ kind: 'service', name: 'sick' })],
      pruned: [expect.objectContaining({ kind: 'job', name: 'broken' })],
    });
  });

  it("quotes the last lines of the rollout's own pod that never gets ready, not of the one it replaces", async () => {
    const waiting = createRepo({
      'tasks/api/manifest.json': manifest({
        name: 'api',
        type: 'service',
        'image-destination': `${IMAGE}/api:1`,
        env: [
          { name: 'KUBE_FAKE_CRASH', value: 'true' },
          { name: 'KUBE_FAKE_LOGS', value: 'old version\npanic: config missing' },
        ],
      }),
    });
    try {
      const ws = await server.api('POST', '/api/workspaces', {
        name: 'rollout-lines',
        repositoryUrl: waiting.dir,
        timeoutSeconds: 3,
      });
      const crashed = await deployAndWait(server, ws.json.id);
      expect(crashed.done.status).toBe('ERROR');
      waiting.commit({
        'tasks/api/manifest.json': manifest({
          name: 'api',
          type: 'service',
          'image-destination': `${IMAGE}/api:2`,
          env: [
            { name: 'KUBE_FAKE_READY', value: 'false' },
            { name: 'KUBE_FAKE_LOGS', value: 'new version\nwaiting for the database' },
          ],
        }),
      });
      const { done } = await deployAndWait(server, ws.json.id);
      expect(done.status).toBe('ERROR');
      expect(done.message).toContain('waiting for the database');
      expect(done.message).not.toContain('panic: config missing');
    } finally {
      waiting.cleanup();
    }
  });

  it('lists a task this runtime cannot run with the other manifest problems, and makes nothing', async () => {
    const misfit = createRepo({
      'tasks/noimg/manifest.json': manifest({ name: 'noimg', type: 'job', cmd: ['true'] }),
      'tasks/odd/manifest.json': manifest({ name: 'odd', type: 'cronjob' }),
    });
    try {
      const ws = await server.api('POST', '/api/workspaces', {
        name: 'kube-misfit',
        repositoryUrl: misfit.dir,
        namespace: 'kube-misfit',
      });
      const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
      const done = await waitForJob(server, queued.json.id, undefined, 60_000);
      expect(done.status).toBe('ERROR');
      expect(done.message).toBe(
        '2 problem(s) in tasks/odd/manifest.json, tasks/noimg/manifest.json; nothing was applied',
      );
      expect(done.result.problems).toEqual([
        expect.objectContaining({ file: 'tasks/odd/manifest.json', path: 'type' }),
        {
          file: 'tasks/noimg/manifest.json',
          message: `job 'noimg' has no "image-destination"; the kubernetes runtime runs images (cmd alone needs the local runtime)`,
        },
      ]);
      // Nothing was made: not even the namespace.
      expect(kube.objects('namespaces').map((n) => n.metadata.name)).not.toContain('kube-misfit');
    } finally {
      misfit.cleanup();
    }
  });
});
