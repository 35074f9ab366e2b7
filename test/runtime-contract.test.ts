import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesRuntime } from '../core/runtime/kubernetes/index.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import {
  LABELS,
  type Runtime,
  type Workload,
  type WorkloadKind,
  type WorkloadRef,
} from '../core/runtime/types.js';
import { specHash, waitUntilHealthy } from '../core/tasks/index.js';
import { systemClock } from '../core/types.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { eventually } from './helpers/wait.js';

/**
 * One contract, two runtimes: every behaviour a workspace deploy relies on must hold on the local
 * runtime and on Kubernetes (here the Kubernetes API test server). Only how a workload says what
 * it does differs: a command locally, an image with the test server's KUBE_FAKE_* env there.
 */
interface Behaviour {
  lines?: string[];
  exitCode?: number;
  ready?: boolean;
  marker?: string;
}

interface Subject {
  runtime: Runtime;
  build(
    kind: WorkloadKind,
    name: string,
    behaviour?: Behaviour,
    overrides?: Partial<Workload>,
  ): Workload;
  close(): Promise<void>;
}

const NAMESPACE = 'contract';

function workload(
  kind: WorkloadKind,
  name: string,
  fields: Partial<Omit<Workload, 'specHash'>>,
): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind,
    namespace: NAMESPACE,
    name,
    labels: {
      [LABELS.managedBy]: 'slipway',
      [LABELS.task]: name,
      [LABELS.workspace]: 'contract-ws',
    },
    image: null,
    imagePullPolicy: null,
    command: null,
    env: [],
    schedule: kind === 'cronjob' ? '0 3 * * *' : null,
    replicas: 1,
    port: null,
    resources: {},
    published: null,
    workdir: os.tmpdir(),
    source: null,
    ...fields,
  };
  return { ...base, specHash: specHash(base) };
}

async function localSubject(): Promise<Subject> {
  const runtime = createLocalRuntime({
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'slipway-contract-')),
    baseEnv: { PATH: process.env.PATH ?? '' },
    healthIntervalMs: 100,
    stableAfterMs: 200,
    restartBackoff: { initialMs: 50, maxMs: 200 },
  });
  await runtime.start();
  return {
    runtime,
    build(kind, name, behaviour = {}, overrides = {}) {
      const print = (behaviour.lines ?? [])
        .map((line) => `console.log(${JSON.stringify(line)});`)
        .join('');
      const marker = behaviour.marker ? `/* ${behaviour.marker} */` : '';
      const script =
        kind === 'service'
          ? `${print} require('node:http').createServer((q, s) => { s.statusCode = q.url === '/health' && ${behaviour.ready === false} ? 503 : 200; s.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1'); ${marker}`
          : kind === 'deployment'
            ? `${print} setInterval(() => {}, 1000); ${marker}`
            : `${print} process.exitCode = ${behaviour.exitCode ?? 0}; ${marker}`;
      return workload(kind, name, { command: [process.execPath, '-e', script], ...overrides });
    },
    close: () => runtime.stop(),
  };
}

async function kubernetesSubject(): Promise<Subject> {
  const server: KubeApiServer = await startKubeApiServer();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  const runtime = createKubernetesRuntime({ kubeConfig });
  await runtime.start();
  return {
    runtime,
    build(kind, name, behaviour = {}, overrides = {}) {
      const env = [
        ...(behaviour.lines ? [{ name: 'KUBE_FAKE_LOGS', value: behaviour.lines.join('\n') }] : []),
        ...(behaviour.exitCode !== undefined
          ? [{ name: 'KUBE_FAKE_EXIT_CODE', value: String(behaviour.exitCode) }]
          : []),
        ...(behaviour.ready === false ? [{ name: 'KUBE_FAKE_READY', value: 'false' }] : []),
        ...(behaviour.marker ? [{ name: 'MARKER', value: behaviour.marker }] : []),
      ];
      return workload(kind, name, { image: 'registry.example.com/contract:1', env, ...overrides });
    },
    close: async () => {
      await runtime.stop();
      await server.close();
    },
  };
}

function ref(w: Workload): WorkloadRef {
  return { kind: w.kind, namespace: w.namespace, name: w.name };
}

async function settledHealth(
  runtime: Runtime,
  w: Workload,
  wanted: string[] = ['healthy', 'failed'],
) {
  return eventually(
    async () => {
      const status = await runtime.status(ref(w));
      return wanted.includes(status.health) ? status : undefined;
    },
    `${w.kind} ${w.name} to be ${wanted.join(' or ')}`,
    20_000,
  );
}

async function allLines(runtime: Runtime, w: Workload, follow = false): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of runtime.logs(ref(w), { follow })) lines.push(line.line);
  return lines;
}

describe.each([
  ['local', localSubject],
  ['kubernetes', kubernetesSubject],
])('the %s runtime keeps the runtime contract', (_name, makeSubject) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await makeSubject();
    await subject.runtime.ensureNamespace(NAMESPACE);
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('tells onChange listeners as workloads change, so a wait for health need not poll', async () => {
    const { runtime, build } = subject;
    const service = build('service', 'told');
    let calls = 0;
    const stop = runtime.onChange(() => {
      calls += 1;
    });
    await runtime.apply([service]);
    // A wait that would look only once a minute ends as soon as the runtime tells it.
    const [status] = await waitUntilHealthy(runtime, [ref(service)], {
      timeoutMs: 60_000,
      pollMs: 60_000,
      signal: new AbortController().signal,
      log: () => {},
      clock: systemClock,
    });
    expect(status?.health).toBe('healthy');
    expect(calls).toBeGreaterThan(0);
    stop();
    const told = calls;
    await runtime.delete(ref(service));
    await settledHealth(runtime, service, ['missing']);
    expect(calls).toBe(told);
  }, 20_000);

  it('records the namespaces it creates', async () => {
    expect(await subject.runtime.listNamespaces()).toContain(NAMESPACE);
  });

  it('tells created, changed and unchanged apart, and a dry run changes nothing', async () => {
    const { runtime, build } = subject;
    const v1 = build('job', 'versions', { lines: ['v1'] });
    const v2 = build('job', 'versions', { lines: ['v2'] });
    expect((await runtime.apply([v1], { dryRun: true }))[0]?.action).toBe('created');
    expect((await runtime.list({ labels: { [LABELS.task]: 'versions' } })).length).toBe(0);
    expect((await runtime.apply([v1]))[0]?.action).toBe('created');
    await settledHealth(runtime, v1);
    expect((await runtime.apply([v1]))[0]?.action).toBe('unchanged');
    expect((await runtime.apply([v2], { dryRun: true }))[0]?.action).toBe('changed');
    expect(await allLines(runtime, v1)).toEqual(['v1']);
    expect((await runtime.apply([v2]))[0]?.action).toBe('changed');
    expect(await settledHealth(runtime, v2)).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
    });
    expect(await allLines(runtime, v2)).toEqual(['v2']);
  });

  it('runs a job to success, with its output followable to the end', async () => {
    const { runtime, build } = subject;
    const job = build('job', 'succeeds', { lines: ['loading', 'done'] });
    await runtime.apply([job]);
    expect(await allLines(runtime, job, true)).toEqual(['loading', 'done']);
    expect(await settledHealth(runtime, job)).toMatchObject({
      health: 'healthy',
      phase: 'succeeded',
      exitCode: 0,
    });
  });

  it('reports a failed job with its exit code', async () => {
    const { runtime, build } = subject;
    const job = build('job', 'fails', { lines: ['boom'], exitCode: 3 });
    await runtime.apply([job]);
    const status = await settledHealth(runtime, job);
    expect(status).toMatchObject({ health: 'failed', phase: 'failed', exitCode: 3 });
    expect(status.message).not.toBe('');
  });

  it('runs the replicas of a deployment and lists their pods', async () => {
    const { runtime, build } = subject;
    const deployment = build('deployment', 'workers', {}, { replicas: 2 });
    await runtime.apply([deployment]);
    expect(await settledHealth(runtime, deployment)).toMatchObject({
      health: 'healthy',
      readyReplicas: 2,
      desiredReplicas: 2,
    });
    const pods = (await runtime.pods(NAMESPACE)).filter(
      (p) => p.workload.name === 'workers' && p.phase === 'Running',
    );
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.workload.kind === 'deployment' && p.ready)).toBe(true);
  });

  it('calls a service healthy only once it is ready, and gives its address', async () => {
    const { runtime, build } = subject;
    const ready = build('service', 'ready-web', {});
    const sick = build('service', 'sick-web', { ready: false });
    await runtime.apply([ready, sick]);
    const status = await settledHealth(runtime, ready);
    expect(status.health).toBe('healthy');
    expect(status.address).toMatch(/^http:\/\//);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await runtime.status(ref(sick))).health).toBe('progressing');
  });

  it('schedules a cron job: healthy once it exists, listed with its schedule', async () => {
    const { runtime, build } = subject;
    const cron = build('cronjob', 'nightly', {});
    await runtime.apply([cron]);
    expect((await runtime.status(ref(cron))).health).toBe('healthy');
    const [info] = await runtime.list({
      kind: 'cronjob',
      namespace: NAMESPACE,
      labels: { [LABELS.task]: 'nightly' },
    });
    expect(info).toMatchObject({ kind: 'cronjob', name: 'nightly', schedule: '0 3 * * *' });
  });

  it('lists by label and deletes: a deleted workload is missing, and deleting it again says so', async () => {
    const { runtime, build } = subject;
    const doomed = build(
      'deployment',
      'doomed',
      {},
      {
        labels: {
          [LABELS.managedBy]: 'slipway',
          [LABELS.task]: 'doomed',
          [LABELS.workspace]: 'other-ws',
        },
      },
    );
    await runtime.apply([doomed]);
    const owned = await runtime.list({ labels: { [LABELS.workspace]: 'other-ws' } });
    expect(owned.map((w) => `${w.kind}/${w.name}`)).toEqual(['deployment/doomed']);
    // What a deploy compares against when it resumes after a crash.
    expect(owned[0]?.specHash).toBe(doomed.specHash);
    expect(await runtime.delete(ref(doomed))).toBe(true);
    expect((await runtime.status(ref(doomed))).health).toBe('missing');
    expect(await runtime.delete(ref(doomed))).toBe(false);
    expect(await runtime.list({ labels: { [LABELS.workspace]: 'other-ws' } })).toEqual([]);
  });
});
