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

/** A Kubernetes API test server in a child process: its kubeconfig, its CPU time, and a stop. */
async function kubeApiServerProcess(): Promise<{
  kubeconfigPath: string;
  cpuMs: () => Promise<number>;
  close: () => Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./kube-api-server-process.ts', import.meta.url))],
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
async function kubectlApply(objects: object[], extra: string[]): Promise<number> {
  const server = await kubeApiServerProcess();
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

/**
 * A 500-task workspace applied by Slipway's Kubernetes runtime (server-side apply, concurrent)
 * against `kubectl apply -f` of the same rendered objects (the peer DESIGN.md names), and against
 * `kubectl apply --server-side -f`, each to a fresh Kubernetes API test server, which runs in a
 * process of its own for every client. Seconds each.
 */
export async function workspaceApply(): Promise<
  { ours: number; kubectl: number; kubectlServerSide: number; serverBusy: number } | undefined
> {
  try {
    await run('kubectl', ['version', '--client']);
  } catch {
    return undefined;
  }
  const oursKube = await kubeApiServerProcess();
  const runtime = createKubernetesRuntime({
    kubeConfig: loadKubeConfig({ path: oursKube.kubeconfigPath, inCluster: false }),
  });
  await runtime.start();
  await runtime.ensureNamespace('bench');
  const cpuBefore = await oursKube.cpuMs();
  const started = performance.now();
  const outcomes = await runtime.apply(workloads('bench'));
  const ours = (performance.now() - started) / 1000;
  // How much of the apply the test server spent working: near 1, it is what limits any client.
  const serverBusy = ((await oursKube.cpuMs()) - cpuBefore) / 1000 / ours;
  if (outcomes.filter((o) => o.action === 'created').length !== TASKS)
    throw new Error('not all created');
  await runtime.stop();
  await oursKube.close();

  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } };
  const objects = [namespace, ...workloads('bench').flatMap((w) => renderObjects(w))];
  const kubectl = await kubectlApply(objects, []);
  const kubectlServerSide = await kubectlApply(objects, ['--server-side']);
  return { ours, kubectl, kubectlServerSide, serverBusy };
}
