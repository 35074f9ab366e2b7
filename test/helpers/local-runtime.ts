import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createLocalRuntime,
  type LocalRuntime,
  type LocalRuntimeOptions,
} from '../../core/runtime/local/index.js';
import { LABELS, type Workload, type WorkloadKind } from '../../core/runtime/types.js';
import { specHash } from '../../core/tasks/index.js';

/** A local runtime on a temp state dir, with fast timings for tests. */
export function testRuntime(options: Partial<LocalRuntimeOptions> = {}): LocalRuntime {
  return createLocalRuntime({
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'slipway-local-')),
    baseEnv: { PATH: process.env.PATH ?? '' },
    restartBackoff: { initialMs: 50, maxMs: 200 },
    healthIntervalMs: 100,
    stableAfterMs: 200,
    stopGraceMs: 1000,
    ...options,
  });
}

/** A directory holding `files`, to run workloads in. */
export function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-workdir-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A workload running `node -e script`, with the fields a render would set. */
export function nodeWorkload(
  kind: WorkloadKind,
  name: string,
  script: string,
  overrides: Partial<Omit<Workload, 'specHash'>> = {},
): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind,
    namespace: 'test',
    name,
    labels: { [LABELS.managedBy]: 'slipway', [LABELS.task]: name },
    image: null,
    imagePullPolicy: null,
    command: [process.execPath, '-e', script],
    env: [],
    schedule: null,
    replicas: 1,
    port: null,
    resources: {},
    published: null,
    workdir: os.tmpdir(),
    source: null,
    ...overrides,
  };
  return { ...base, specHash: specHash(base) };
}

/** A Node HTTP server on $PORT: `/health` answers `healthStatus`, `/` answers `text`. */
export function httpServerScript(text: string, healthStatus = 200): string {
  return `require('node:http').createServer((req, res) => {
    if (req.url === '/health') { res.statusCode = ${healthStatus}; return res.end('health'); }
    res.end(${JSON.stringify(text)});
  }).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready on ' + process.env.PORT));`;
}

/** Whether the process runs (a zombie waiting to be reaped does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
