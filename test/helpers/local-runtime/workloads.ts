import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Workload, WorkloadKind } from '../../../core/runtime/types.js';
import { specHash } from '../../../core/tasks/index.js';

// Workloads for local runtime tests; no vitest import, so child processes can use it too.

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function tempDir(prefix = 'slipway-local-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A directory holding `files`, to run workloads in. */
export function workdir(files: Record<string, string> = {}): string {
  const dir = tempDir('slipway-workdir-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A workload running `node -e script` in a fresh directory, as `renderWorkload` would shape it. */
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
    labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/task': name },
    image: null,
    imagePullPolicy: null,
    command: [process.execPath, '-e', script],
    env: [],
    schedule: null,
    replicas: 1,
    port: null,
    resources: {},
    published: null,
    workdir: overrides.workdir ?? workdir(),
    source: null,
    ...overrides,
  };
  return { ...base, specHash: specHash(base) };
}

/**
 * A Node HTTP server on $PORT: `/health` answers 200 (503 while the file `unhealthy` exists in
 * its directory), `/` answers `<text> <pid>`. Once listening it prints `pid <pid>` and
 * `listening on <port>`.
 */
export function serverScript(text: string): string {
  return `const fs = require('node:fs');
require('node:http').createServer((req, res) => {
  if (req.url === '/health') { res.statusCode = fs.existsSync('unhealthy') ? 503 : 200; return res.end(); }
  res.end(${JSON.stringify(text)} + ' ' + process.pid);
}).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log('pid ' + process.pid);
  console.log('listening on ' + process.env.PORT);
});`;
}
