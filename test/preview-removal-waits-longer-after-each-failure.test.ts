import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createKubernetesRuntime } from '../core/runtime/kubernetes/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { recordingLogger } from './helpers/outbox-sender.js';

// A preview whose removal fails (the cluster answers 500 to every list) is tried again after a
// wait that doubles, not every pass, and is removed once the cluster answers again.
describe('the removal of a closed pull request preview when the cluster fails', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-preview-removal-'));
  let kube: KubeApiServer;
  let store: Store;
  let engine: Engine;
  let now = Date.parse('2026-12-01T12:00:00Z');
  const logger = recordingLogger();

  beforeAll(async () => {
    kube = await startKubeApiServer();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kube.kubeconfigPath);
    store = openSqliteStore(path.join(dir, 'slipway.db'));
    const runtime = createKubernetesRuntime({
      kubeConfig,
      retry: { attempts: 1, backoff: { baseMs: 10, maxMs: 10 } },
    });
    await runtime.start();
    engine = createEngine({
      store,
      runtime,
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
      clock: { now: () => now },
      logger,
    });
  });
  afterAll(async () => {
    await engine.runtime.stop();
    await kube?.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Workspace `name` of repository `acme/<name>` with previews on, and its pull request's. */
  function previewOf(name: string, pullRequest: number) {
    const parent = engine.workspaces.create(
      { name, repositoryUrl: `acme/${name}`, previews: true },
      null,
    );
    const opened = engine.previews.open(parent, {
      repository: `acme/${name}`,
      pullRequest,
      branch: `pr-${pullRequest}`,
      updatedAt: undefined,
    });
    if (opened.workspace === undefined) throw new Error(opened.refused);
    return opened.workspace;
  }

  it('waits 2 s, then 4 s, then removes it', async () => {
    const preview = previewOf('shop', 4);
    engine.previews.close('acme/shop', 4, null, { remember: true });
    kube.inject({ method: 'GET', status: 500, times: Number.POSITIVE_INFINITY });
    const warnings = () =>
      logger.lines.filter((l) => l.msg.startsWith('could not remove the preview'));

    expect(await engine.previews.removeClosed()).toBe(0);
    expect(warnings().map((w) => (w.obj as { retryInMs: number }).retryInMs)).toEqual([2000]);
    // Not yet: the next passes leave it be.
    now += 1000;
    await engine.previews.removeClosed();
    expect(warnings()).toHaveLength(1);
    now += 1000;
    await engine.previews.removeClosed();
    expect(warnings().map((w) => (w.obj as { retryInMs: number }).retryInMs)).toEqual([2000, 4000]);

    kube.clearFaults();
    now += 3000;
    await engine.previews.removeClosed();
    expect(store.getWorkspace(preview.id)).toBeDefined();
    now += 1000;
    expect(await engine.previews.removeClosed()).toBe(1);
    expect(store.getWorkspace(preview.id)).toBeUndefined();
    expect(warnings()).toHaveLength(2);
  });

  it('removes the namespace made for the preview, after a failure of its delete, even when its namespace was changed since', async () => {
    const preview = previewOf('prod', 5);
    await engine.runtime.ensureNamespace('prod-pr-5');
    await engine.runtime.ensureNamespace('prod');
    // Someone points the preview at production's namespace by hand; then the pull request closes.
    engine.workspaces.update(preview.id, { namespace: 'prod' });
    engine.previews.close('acme/prod', 5, null, { remember: true });
    kube.inject({ method: 'DELETE', path: '/api/v1/namespaces/prod-pr-5', status: 503 });
    const phase = (name: string) =>
      kube.objects('namespaces').find((ns) => ns.metadata.name === name)?.status?.phase;

    now += 60_000;
    expect(await engine.previews.removeClosed()).toBe(0);
    expect(store.getWorkspace(preview.id)).toBeDefined();
    expect(phase('prod-pr-5')).toBe('Active');
    now += 60_000;
    expect(await engine.previews.removeClosed()).toBe(1);
    expect(phase('prod-pr-5')).not.toBe('Active');
    expect(phase('prod')).toBe('Active');
  });
});
