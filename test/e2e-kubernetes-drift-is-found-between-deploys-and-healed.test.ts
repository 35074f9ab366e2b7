import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../core/runtime/types.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { type KubeClients, kubeClients } from './fakes/kube/kube-clients.js';
import { slipway } from './helpers/cli.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type Receiver, receiver } from './helpers/notification-receiver.js';
import {
  dashboardPage,
  jobLog,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually, sleep } from './helpers/wait.js';

const IMAGE = 'registry.example.com/drift';

function tasks(): Record<string, string> {
  return {
    'tasks/worker/manifest.json': manifest({
      name: 'worker',
      type: 'deployment',
      'image-destination': `${IMAGE}/worker:1`,
      replicas: 2,
      labels: 'team:workers',
    }),
    'tasks/nightly/manifest.json': manifest({
      name: 'nightly',
      type: 'job',
      'image-destination': `${IMAGE}/nightly:1`,
      schedule: '0 3 * * *',
    }),
    'tasks/web/manifest.json': manifest({
      name: 'web',
      type: 'service',
      'image-destination': `${IMAGE}/web:1`,
      'container-port': 8081,
    }),
  };
}

interface Drift {
  status: string;
  drifted: string[];
  since: string | null;
  heals: number;
  commitId: string | null;
  checked: string | null;
  checkEverySeconds: number | null;
  selfHeal: boolean;
  _links: Record<string, { href: string }>;
}

/** What someone does by hand: `kubectl scale deployment/<name> --replicas=<n>`. */
async function scale(k: KubeClients, namespace: string, name: string, replicas: number) {
  const live = await k.apps.readNamespacedDeployment({ name, namespace });
  live.spec = { ...live.spec, replicas } as typeof live.spec;
  await k.apps.replaceNamespacedDeployment({ name, namespace, body: live });
}

/** A run of a CronJob, made as the CronJob controller makes one: its template's labels, owned by it. */
async function cronRun(k: KubeClients, namespace: string, cronJob: string) {
  const owner = await k.batch.readNamespacedCronJob({ name: cronJob, namespace });
  const template = owner.spec?.jobTemplate;
  await k.batch.createNamespacedJob({
    namespace,
    body: {
      metadata: {
        name: `${cronJob}-29000000`,
        labels: template?.metadata?.labels,
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: cronJob,
            uid: String(owner.metadata?.uid),
            controller: true,
          },
        ],
      },
      spec: template?.spec,
    },
  });
}

/** A Deployment carrying the workspace's labels that git does not have (someone's leftover). */
async function stray(k: KubeClients, namespace: string, workspaceId: string) {
  const labels = { [LABELS.managedBy]: 'slipway', [LABELS.workspace]: workspaceId, app: 'extra' };
  await k.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'extra', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'extra' } },
        template: {
          metadata: { labels: { app: 'extra' } },
          spec: { containers: [{ name: 'task', image: `${IMAGE}/extra:1` }] },
        },
      },
    },
  });
}

describe('drift between deploys (SLIPWAY_DRIFT_SECONDS, SLIPWAY_SELF_HEAL)', () => {
  let kube: KubeApiServer;
  let k: KubeClients;
  let repo: TestRepo;
  let watching: ServerProcess;
  let healing: ServerProcess;
  /** Where the watching server tells of drift (SLIPWAY_NOTIFY_URL). */
  let chat: Receiver;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    k = kubeClients(kube);
    repo = createRepo(tasks());
    const env = {
      SLIPWAY_RUNTIME: 'kubernetes',
      KUBECONFIG: kube.kubeconfigPath,
      SLIPWAY_DRIFT_SECONDS: '1',
    };
    chat = await receiver();
    [watching, healing] = await Promise.all([
      startServer({
        env: {
          ...env,
          SLIPWAY_NOTIFY_URL: chat.url,
          SLIPWAY_PUBLIC_URL: 'https://slipway.example.com',
        },
      }),
      startServer({ env: { ...env, SLIPWAY_SELF_HEAL: 'true' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([watching?.stop(), healing?.stop()]);
    await chat?.close();
    await kube?.close();
    repo?.cleanup();
  });

  /** A workspace of `server` deployed into `namespace`: its id. */
  async function deployed(server: ServerProcess, name: string): Promise<string> {
    const ws = await server.api('POST', '/api/workspaces', {
      name,
      repositoryUrl: repo.dir,
      namespace: name,
    });
    expect(ws.status).toBe(201);
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const done = await waitForJob(server, queued.json.id, undefined, 60_000);
    expect(done.status, await jobLog(server, queued.json.id)).toBe('COMPLETE');
    return ws.json.id;
  }
  const drift = async (server: ServerProcess, id: string): Promise<Drift> =>
    (await server.api('GET', `/api/workspaces/${id}/drift`)).json;
  /** The drift once a check has found it `status`, and `match` holds of it. */
  const driftOnce = (
    server: ServerProcess,
    id: string,
    status: string,
    match: (d: Drift) => boolean = () => true,
  ) =>
    eventually(
      async () => {
        const d = await drift(server, id);
        return d.status === status && match(d) ? d : undefined;
      },
      `drift ${status}`,
      20_000,
    );

  it('reports what someone changed, deleted or added by hand, and leaves it be', async () => {
    const id = await deployed(watching, 'watched');
    // The night's run of the cron job is the cron job's, not a workload git lacks.
    await cronRun(k, 'watched', 'nightly');
    const inSync = await driftOnce(watching, id, 'IN_SYNC');
    await sleep(1500);
    expect((await drift(watching, id)).status).toBe('IN_SYNC');
    expect(inSync).toMatchObject({
      drifted: [],
      since: null,
      heals: 0,
      commitId: repo.head(),
      checkEverySeconds: 1,
      selfHeal: false,
    });

    await scale(k, 'watched', 'worker', 0);
    await k.core.deleteNamespacedService({ name: 'web', namespace: 'watched' });
    await stray(k, 'watched', id);
    const found = await driftOnce(watching, id, 'DRIFTED', (d) => d.drifted.length === 3);
    expect(found.drifted).toEqual([
      "service 'web': Service web is missing",
      "deployment 'worker': Deployment worker: spec.replicas is 0, git says 2",
      "deployment 'extra' is not in git",
    ]);
    expect(found.since).not.toBeNull();

    // Reported, not changed back: later checks keep finding it, and queue nothing.
    const later = await driftOnce(
      watching,
      id,
      'DRIFTED',
      (d) => String(d.checked) > String(found.checked),
    );
    expect(later.since).toBe(found.since);
    const worker = await k.apps.readNamespacedDeployment({ name: 'worker', namespace: 'watched' });
    expect(worker.spec?.replicas).toBe(0);
    const jobs = await watching.api('GET', `/api/workspaces/${id}/jobs`);
    expect(jobs.json.page.totalElements).toBe(1);
    // Said once per change in what drifted, not on every check. (A check between the three
    // changes above finds and says only the first of them: a busy machine may run one there.)
    const warned = () =>
      watching
        .logs()
        .filter((l) => String(l.msg).startsWith("workspace 'watched' drifted from git"));
    const warnings = warned();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.every((w) => w.level === 40)).toBe(true);
    expect(warnings.at(-1)?.msg).toContain(found.drifted.join('; '));
    await driftOnce(watching, id, 'DRIFTED', (d) => String(d.checked) > String(later.checked));
    expect(warned()).toHaveLength(warnings.length);

    // The CLI shows the same, by the workspace's name.
    const cli = await slipway(['workspace', 'drift', 'watched'], {
      env: { SLIPWAY_URL: watching.url, SLIPWAY_TOKEN: watching.adminToken },
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ workspaceId: id, status: 'DRIFTED', drifted: later.drifted });

    // The dashboard's overview marks the workspace, and lists what drifted.
    const overview = await dashboardPage(watching);
    const row = overview.slice(overview.indexOf(`data-workspace-id="${id}"`));
    expect(row.slice(0, row.indexOf('</tr>'))).toContain('>DRIFTED</span>');
    expect(row).toContain('<li>deployment &#39;extra&#39; is not in git</li>');

    const metrics = await (await fetch(`${watching.url}/metrics`)).text();
    expect(metrics).toContain('slipway_workspace_drifted_workloads{workspace="watched"} 3');

    // On-call hears of it as the log says it: once per change in what drifted.
    const told = () =>
      chat.received.filter(
        (r) => r.json.event === 'workspace.drift' && r.json.workspace?.id === id,
      );
    const drifted = await eventually(() => {
      const found = told().filter((r) => r.json.outcome === 'drifted');
      return found.length === warnings.length ? found : undefined;
    }, 'a notification for each warning');
    const last = drifted.at(-1)?.json;
    expect(last).toMatchObject({
      subject: "workspace 'watched'",
      job: null,
      drift: { commitId: repo.head(), drifted: later.drifted, since: later.since },
    });
    expect(last.text).toBe(
      `⚠️ Workspace 'watched' drifted from git (deployed commit ${repo.head().slice(0, 7)}): ${later.drifted[0]} (and 2 more) (https://slipway.example.com/)`,
    );
    expect(drifted.at(-1)?.headers['x-slipway-event']).toBe('workspace.drift');

    // A deploy puts it back (and prunes the stray one); the next check finds nothing.
    const redeploy = await watching.api('POST', `/api/workspaces/${id}/deployments`);
    const done = await waitForJob(watching, redeploy.json.id, undefined, 60_000);
    expect(done.status).toBe('COMPLETE');
    const clean = await driftOnce(watching, id, 'IN_SYNC', (d) => String(d.checked) > done.endTime);
    expect(clean.since).toBeNull();
    expect(
      watching.logs().some((l) => l.msg === "workspace 'watched' is as git has it again"),
    ).toBe(true);
    const after = await (await fetch(`${watching.url}/metrics`)).text();
    expect(after).toContain('slipway_workspace_drifted_workloads{workspace="watched"} 0');
    const back = await eventually(
      () => told().find((r) => r.json.outcome === 'in_sync'),
      'the drift told gone',
    );
    expect(back.json.text).toBe(
      `✅ Workspace 'watched' is as git has it again (commit ${repo.head().slice(0, 7)}) (https://slipway.example.com/)`,
    );
  });

  it('with SLIPWAY_SELF_HEAL, deploys the deployed commit to put drift back', async () => {
    const id = await deployed(healing, 'healed');
    await driftOnce(healing, id, 'IN_SYNC');
    await scale(k, 'healed', 'worker', 0);

    const healed = await driftOnce(healing, id, 'IN_SYNC', (d) => d.heals === 1);
    const heal = await healing.api(
      'GET',
      new URL(String(healed._links['last heal']?.href)).pathname,
    );
    expect(heal.json).toMatchObject({ status: 'COMPLETE', commitId: repo.head() });
    expect(heal.json.result.changed).toEqual([
      {
        kind: 'deployment',
        namespace: 'healed',
        name: 'worker',
        drift: 'Deployment worker: spec.replicas is 0, git says 2',
      },
    ]);
    const worker = await k.apps.readNamespacedDeployment({ name: 'worker', namespace: 'healed' });
    expect(worker.spec?.replicas).toBe(2);
    // One heal for one drift: nothing more is queued once it is put back.
    await sleep(2500);
    const jobs = await healing.api('GET', `/api/workspaces/${id}/jobs`);
    expect(jobs.json.page.totalElements).toBe(2);
  });

  it('heals drift that keeps coming back ever less often', async () => {
    const id = await deployed(healing, 'fought');
    await driftOnce(healing, id, 'IN_SYNC');
    // Something on the cluster that wants the label git sets otherwise, and puts it back at once.
    let fighting = true;
    const fighter = (async () => {
      while (fighting) {
        try {
          const live = await k.apps.readNamespacedDeployment({
            name: 'worker',
            namespace: 'fought',
          });
          if (live.metadata?.labels?.team !== 'other') {
            live.metadata = {
              ...live.metadata,
              labels: { ...live.metadata?.labels, team: 'other' },
            };
            await k.apps.replaceNamespacedDeployment({
              name: 'worker',
              namespace: 'fought',
              body: live,
            });
          }
        } catch {
          // A conflict with the heal's apply: the next round tries again.
        }
        await sleep(50);
      }
    })();
    // The heals' times, oldest first (the workspace's first job is its deploy).
    const healTimes = async () =>
      (
        (await healing.api('GET', `/api/workspaces/${id}/jobs?size=100`)).json._embedded
          .jobs as Array<{ created: string }>
      )
        .slice(0, -1)
        .map((job) => Date.parse(job.created))
        .sort((a, b) => a - b);
    let heals: number[] = [];
    try {
      heals = await eventually(
        async () => {
          const times = await healTimes();
          return times.length >= 4 ? times : undefined;
        },
        'four heals',
        40_000,
      );
    } finally {
      fighting = false;
      await fighter;
    }
    // Each wait doubles: 1 s, 2 s, 4 s at least (a busy machine only makes them longer). Once
    // a second, as without the backoff, the third gap would be about 1 s.
    const gaps = heals.slice(1, 4).map((at, i) => at - (heals[i] as number));
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(1000 * 2 ** i - 300);
    });
    expect(
      healing
        .logs()
        .filter((l) => String(l.msg).startsWith("drift of workspace 'fought' came back")),
    ).toHaveLength(1);
    // One drift without a break, healed in vain: said once.
    expect(
      healing.logs().filter((l) => String(l.msg).startsWith("workspace 'fought' drifted")),
    ).toHaveLength(1);
  });

  it('finds drift but holds its heal while the workspace is paused, and heals once resumed', async () => {
    const id = await deployed(healing, 'frozen');
    await driftOnce(healing, id, 'IN_SYNC');
    const paused = await healing.api('PUT', `/api/workspaces/${id}/paused`, {
      reason: 'incident: worker scaled down on purpose',
    });
    expect(paused.status, paused.text).toBe(200);
    await scale(k, 'frozen', 'worker', 0);

    const found = await driftOnce(healing, id, 'DRIFTED');
    expect(found.drifted).toEqual([
      "deployment 'worker': Deployment worker: spec.replicas is 0, git says 2",
    ]);
    const warning = healing
      .logs()
      .find((l) => String(l.msg).startsWith("workspace 'frozen' drifted from git"));
    expect(String(warning?.msg)).toContain(
      "not deployed back: deploys of workspace 'frozen' are paused by admin",
    );
    // Several checks, and no heal: the scale-down stands, and nothing was held either.
    await sleep(3000);
    expect((await drift(healing, id)).heals).toBe(0);
    const jobs = await healing.api('GET', `/api/workspaces/${id}/jobs`);
    expect(jobs.json.page.totalElements).toBe(1);
    const worker = await k.apps.readNamespacedDeployment({ name: 'worker', namespace: 'frozen' });
    expect(worker.spec?.replicas).toBe(0);

    // Nothing was held, so resuming queues nothing; the next check heals.
    const resumed = await healing.api('DELETE', `/api/workspaces/${id}/paused`);
    expect(resumed.json._embedded).toBeUndefined();
    await driftOnce(healing, id, 'IN_SYNC', (d) => d.heals === 1);
  });

  it('neither checks nor heals a workspace while its delete removes its workloads', async () => {
    const id = await deployed(healing, 'doomed');
    await driftOnce(healing, id, 'IN_SYNC');
    // A cluster slow to delete: the delete takes its workloads one by one over seconds.
    const started = new Date().toISOString();
    kube.inject({ method: 'DELETE', path: '/deployments/', delayMs: 1500, times: 2 });
    try {
      const deleted = await healing.api('DELETE', `/api/workspaces/${id}`);
      expect(deleted.status).toBe(204);
    } finally {
      kube.clearFaults();
    }
    await sleep(2500);
    const left = [
      ...(await k.apps.listNamespacedDeployment({ namespace: 'doomed' })).items,
      ...(await k.batch.listNamespacedCronJob({ namespace: 'doomed' })).items,
    ];
    expect(left.map((o) => o.metadata?.name)).toEqual([]);
    // No heal was queued for it (other workspaces' jobs keep their workspace link).
    const jobs = (await healing.api('GET', '/api/jobs?size=100')).json._embedded.jobs as Array<{
      created: string;
      _links: { workspace?: unknown };
    }>;
    expect(jobs.filter((job) => job.created >= started && !job._links.workspace)).toEqual([]);
  });

  it('takes neither a finished Job gone nor a changed namespace for drift, and a failed deploy leaves it UNKNOWN', async () => {
    const other = createRepo({
      'tasks/migrate/manifest.json': manifest({
        name: 'migrate',
        type: 'job',
        'image-destination': `${IMAGE}/migrate:1`,
      }),
      'tasks/api/manifest.json': manifest({
        name: 'api',
        type: 'deployment',
        'image-destination': `${IMAGE}/api:1`,
      }),
    });
    try {
      const ws = await watching.api('POST', '/api/workspaces', {
        name: 'history',
        repositoryUrl: other.dir,
        namespace: 'history',
      });
      const id: string = ws.json.id;
      const queued = await watching.api('POST', `/api/workspaces/${id}/deployments`);
      expect((await waitForJob(watching, queued.json.id, undefined, 60_000)).status).toBe(
        'COMPLETE',
      );
      await driftOnce(watching, id, 'IN_SYNC');

      // A Job that ran, cleaned up (a TTL): history, not drift; a heal would run it again.
      await k.batch.deleteNamespacedJob({ name: 'migrate', namespace: 'history' });
      await sleep(2500);
      expect((await drift(watching, id)).status).toBe('IN_SYNC');

      // A new namespace is for the next deploy: until then nothing is compared with it.
      await watching.api('PUT', `/api/workspaces/${id}`, { namespace: 'history-2' });
      await sleep(2500);
      expect(await drift(watching, id)).toMatchObject({ status: 'UNKNOWN', drifted: [] });
      expect(
        watching.logs().filter((l) => String(l.msg).startsWith("workspace 'history' drifted")),
      ).toEqual([]);
      // Nor once the last deploy's job, which said where it deployed, is deleted.
      const { lastDeployment } = (await watching.api('GET', `/api/workspaces/${id}`)).json;
      expect((await watching.api('DELETE', `/api/jobs/${lastDeployment.jobId}`)).status).toBe(204);
      await sleep(2500);
      expect((await drift(watching, id)).status).toBe('UNKNOWN');
      await watching.api('PUT', `/api/workspaces/${id}`, { namespace: 'history' });
      const again = await watching.api('POST', `/api/workspaces/${id}/deployments`);
      expect((await waitForJob(watching, again.json.id, undefined, 60_000)).status).toBe(
        'COMPLETE',
      );
      await driftOnce(watching, id, 'IN_SYNC');

      // A deploy that failed may have changed what runs: the last check no longer tells.
      const broken = other.commit({ 'tasks/api/manifest.json': '{ not json' });
      const failed = await watching.api(
        'POST',
        `/api/workspaces/${id}/deployments?commit=${broken}`,
      );
      expect((await waitForJob(watching, failed.json.id, undefined, 60_000)).status).toBe('ERROR');
      expect((await drift(watching, id)).status).toBe('UNKNOWN');
    } finally {
      other.cleanup();
    }
  });

  it('says UNKNOWN for a workspace never checked, and 404 for one that does not exist', async () => {
    const fresh = await watching.api('POST', '/api/workspaces', {
      name: 'fresh',
      repositoryUrl: repo.dir,
      namespace: 'fresh',
    });
    const never = await drift(watching, fresh.json.id);
    expect(never).toMatchObject({ status: 'UNKNOWN', drifted: [], checked: null, commitId: null });
    const missing = await watching.api('GET', '/api/workspaces/nope/drift');
    expect(missing.status).toBe(404);
  });
});
