import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';

// Commits in push order: x, then a, b, c on top of each other.
const [x, a, b, c] = ['1', '2', '3', '4'].map((digit) => digit.repeat(40)) as [
  string,
  string,
  string,
  string,
];

/** An engine that is never started: deploys queue, supersede, and stay QUEUED. */
function queueOnly() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-late-queue-'));
  const engine = createEngine({
    store: createMemoryStore(),
    runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
    source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
  });
  const workspace = engine.workspaces.create({ name: 'ws', repositoryUrl: 'repo' }, null);
  const push = (after: string, before?: string) =>
    engine.workspaces.deploy(workspace.id, { commitId: after, push: true, before }).job;
  const rollback = (commit: string) =>
    engine.workspaces.deploy(workspace.id, { commitId: commit }).job;
  const status = (id: string) => engine.jobs.get(id).status;
  return { push, rollback, status };
}

describe('a push queued after a newer one', () => {
  it('supersedes the queued deploys of older pushes, as pushes in order do', () => {
    const { push, status } = queueOnly();
    const jobA = push(a, x);
    const jobB = push(b, a);
    expect([status(jobA.id), status(jobB.id)]).toEqual(['STOPPED', 'QUEUED']);
  });

  it('leaves be a queued deploy of a push made on top of it, directly or through others', () => {
    const { push, status } = queueOnly();
    // b then c delivered first (c supersedes b), a last: c was pushed on top of b, b of a.
    const jobB = push(b, a);
    const jobC = push(c, b);
    const jobA = push(a, x);
    expect([status(jobB.id), status(jobC.id), status(jobA.id)]).toEqual([
      'STOPPED',
      'QUEUED',
      'QUEUED',
    ]);
  });

  it('supersedes as before when the pushes do not say where the branch was', () => {
    const { push, status } = queueOnly();
    const jobB = push(b);
    const jobA = push(a);
    expect([status(jobB.id), status(jobA.id)]).toEqual(['STOPPED', 'QUEUED']);
  });

  it('is no push when asked for by name: a rollback replaces the queued deploy', () => {
    const { push, rollback, status } = queueOnly();
    const jobB = push(b, a);
    const back = rollback(a);
    expect([status(jobB.id), status(back.id)]).toEqual(['STOPPED', 'QUEUED']);
  });
});
