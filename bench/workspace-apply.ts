import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { parseTaskManifest } from '../core/config/index.js';
import {
  createKubernetesRuntime,
  loadKubeConfig,
  renderObjects,
} from '../core/runtime/kubernetes/index.js';
import type { Workload } from '../core/runtime/types.js';
import { renderWorkload } from '../core/tasks/render-workload.js';
import { temp } from './measure.js';

const run = promisify(execFile);
const TASKS = 500;
/** The round trip added to every request in the second comparison: a cluster a network hop away. */
export const LATENCY_MS = 2;

function workloads(namespace: string): Workload[] {
  return Array.from({ length: TASKS }, (_, i) => {
    const text = JSON.stringify({
      name: `task-${i}`,
      type: 'deployment',
      'image-destination': `registry.example.com/bench/task-${i}:1`,
      replicas: 0,
      env: [{ name: 'INDEX', value: String(i) }],
    });
    const parsed = parseTaskManifest(text, `tasks/task-${i}/manifest.json`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return renderWorkload(parsed.manifest, {
      namespace,
      checkoutDir: '/nowhere',
      directory: `tasks/task-${i}`,
      repository: 'bench',
      commit: 'c'.repeat(40),
      digest: `d${i}`,
      labels: { 'slipway.dev/workspace': 'bench' },
    });
  });
}

/**
 * A Kubernetes API test server in a child process, answering every request `latencyMs` late:
 * its kubeconfig, its CPU time, and a stop.
 */
async function kubeApiServerProcess(latencyMs = 0): Promise<{
  kubeconfigPath: string;
  cpuMs: () => Promise<number>;
  close: () => Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./kube-api-server-process.ts', import.meta.url)),
      String(latencyMs),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as Readable });
  const next = async () => JSON.parse(((await once(lines, 'line')) as [string])[0]);
  const { kubeconfigPath } = (await next()) as { kubeconfigPath: string };
  return {
    kubeconfigPath,
    cpuMs: async () => {
      const answer = next();
      child.stdin?.write('cpu\n');
      return ((await answer) as { cpuMs: number }).cpuMs;
    },
    close: async () => {
      child.stdin?.end();
      await once(child, 'exit');
    },
  };
}

/** Seconds `kubectl apply` (with `extra` arguments) takes for `objects` on a fresh test server. */
async function kubectlApply(objects: object[], extra: string[], latencyMs = 0): Promise<number> {
  const server = await kubeApiServerProcess(latencyMs);
  const dir = temp();
  const file = path.join(dir, 'objects.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  const env = { ...process.env, HOME: dir };
  const args = ['--kubeconfig', server.kubeconfigPath, 'apply', ...extra, '--validate=false'];
  const started = performance.now();
  await run('kubectl', [...args, '-f', file], { env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  return seconds;
}

/** Seconds Slipway's Kubernetes runtime takes to apply the workspace, and how busy the server was. */
async function slipwayApply(latencyMs = 0): Promise<{ seconds: number; serverBusy: number }> {
  const server = await kubeApiServerProcess(latencyMs);
  const runtime = createKubernetesRuntime({
    kubeConfig: loadKubeConfig({ path: server.kubeconfigPath, inCluster: false }),
  });
  await runtime.start();
  await runtime.ensureNamespace('bench');
  const cpuBefore = await server.cpuMs();
  const started = performance.now();
  const outcomes = await runtime.apply(workloads('bench'));
  const seconds = (performance.now() - started) / 1000;
  // How much of the apply the test server spent working: near 1, it is what limits any client.
  const serverBusy = ((await server.cpuMs()) - cpuBefore) / 1000 / seconds;
  if (outcomes.filter((o) => o.action === 'created').length !== TASKS)
    throw new Error('not all created');
  await runtime.stop();
  await server.close();
  return { seconds, serverBusy };
}

/** One round of the apply comparison: seconds each, and the test server's busy share. */
export interface ApplyTimes {
  ours: number;
  kubectl: number;
  kubectlServerSide: number;
  serverBusy: number;
  oursLatent: number;
  kubectlLatent: number;
}

/**
 * A 500-task workspace applied by Slipway's Kubernetes runtime (server-side apply, concurrent)
 * against `kubectl apply -f` of the same rendered objects (the peer DESIGN.md names), and against
 * `kubectl apply --server-side -f`, each to a fresh Kubernetes API test server, which runs in a
 * process of its own for every client. Then Slipway and `kubectl apply -f` again, with
 * {@link LATENCY_MS} added to every request. Seconds each.
 */
export async function workspaceApply(): Promise<ApplyTimes | undefined> {
  try {
    await run('kubectl', ['version', '--client']);
  } catch {
    return undefined;
  }
  const { seconds: ours, serverBusy } = await slipwayApply();
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } };
  const objects = [namespace, ...workloads('bench').flatMap((w) => renderObjects(w))];
  const kubectl = await kubectlApply(objects, []);
  const kubectlServerSide = await kubectlApply(objects, ['--server-side']);
  const { seconds: oursLatent } = await slipwayApply(LATENCY_MS);
  const kubectlLatent = await kubectlApply(objects, [], LATENCY_MS);
  return { ours, kubectl, kubectlServerSide, serverBusy, oursLatent, kubectlLatent };
}
