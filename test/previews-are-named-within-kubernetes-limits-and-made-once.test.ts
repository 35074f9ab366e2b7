import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { DNS_LABEL, previewName } from '../core/workspaces/index.js';

// The preview service on a real SQLite store: names that fit what Kubernetes and Slipway accept,
// one preview per pull request, and the refusals that say why none was made.
describe('previews of pull requests', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-previews-'));
  let store: Store;
  let engine: Engine;
  beforeAll(() => {
    store = openSqliteStore(path.join(dir, 'slipway.db'));
    engine = createEngine({
      store,
      runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
    });
  });
  afterAll(async () => {
    await engine.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts the name, alias and namespace short so that -pr-<number> fits', () => {
    expect(previewName('shop', 12, 63)).toBe('shop-pr-12');
    const long = `${'a'.repeat(55)}-${'b'.repeat(7)}`;
    const cut = previewName(long, 12345, 63);
    expect(cut).toHaveLength(63);
    expect(cut.endsWith('-pr-12345')).toBe(true);
    // A cut that ends on '-' drops it: a Kubernetes name ends with a letter or digit.
    expect(previewName(`${'a'.repeat(53)}-zzzz`, 12345, 63)).toBe(`${'a'.repeat(53)}-pr-12345`);
    expect(DNS_LABEL.test(previewName(`${'a'.repeat(53)}-zzzz`, 12345, 63))).toBe(true);
  });

  it('makes one workspace per pull request from the one it previews, with its settings', () => {
    const name = `Data Team ${'x'.repeat(90)}`;
    const parent = engine.workspaces.create(
      {
        name,
        repositoryUrl: 'acme/data',
        namespace: 'n'.repeat(63),
        timeoutSeconds: 42,
        previews: true,
      },
      'alice',
    );
    expect(engine.previews.on(parent.id)).toBe(true);
    const opened = engine.previews.open(parent, 31, 'feature/x', 'Acme/Data');
    if (opened.workspace === undefined) throw new Error(opened.refused);
    expect(opened.created).toBe(true);
    const preview = opened.workspace;
    expect(preview).toMatchObject({
      repositoryUrl: 'acme/data',
      branch: 'feature/x',
      owner: 'alice',
      timeoutSeconds: 42,
      namespace: `${'n'.repeat(57)}-pr-31`,
    });
    expect(preview.name).toHaveLength(100);
    expect(preview.name.endsWith('-pr-31')).toBe(true);
    expect(preview.alias).toMatch(DNS_LABEL);
    expect(preview.alias.length).toBeLessThanOrEqual(63);
    expect(engine.previews.of(preview.id)).toMatchObject({
      of: parent.id,
      pullRequest: 31,
      repository: 'acme/data',
      closed: null,
    });
    // The same pull request again finds it.
    const again = engine.previews.open(parent, 31, 'feature/x', 'acme/data');
    expect(again).toEqual({ workspace: preview, created: false });
    expect(engine.previews.list(parent.id)).toHaveLength(1);
  });

  it('says why when the name is taken, or the last preview of the pull request is still going', () => {
    const parent = engine.workspaces.create(
      { name: 'web', repositoryUrl: 'acme/web', previews: true },
      null,
    );
    engine.workspaces.create({ name: 'web-pr-4', repositoryUrl: 'acme/other' }, null);
    expect(engine.previews.open(parent, 4, 'four', 'acme/web')).toEqual({
      refused:
        "no preview of pull request #4 for workspace 'web': the name 'web-pr-4' is another workspace's",
    });

    const opened = engine.previews.open(parent, 5, 'five', 'acme/web');
    if (opened.workspace === undefined) throw new Error(opened.refused);
    // Closed on another repository's pull request of the same number: not this one.
    expect(engine.previews.close('acme/other', 5, 'github:bob')).toEqual([]);
    expect(engine.workspaces.isBeingDeleted(opened.workspace.id)).toBe(false);
    expect(engine.previews.close('ACME/web', 5, 'github:bob')).toEqual([opened.workspace]);
    expect(engine.previews.of(opened.workspace.id)?.closed).toMatchObject({ by: 'github:bob' });
    // No push deploys it now, and reopening waits for its removal.
    expect(engine.workspaces.isBeingDeleted(opened.workspace.id)).toBe(true);
    expect(engine.previews.open(parent, 5, 'five', 'acme/web')).toEqual({
      refused:
        "the preview of pull request #5 of workspace 'web' is still being removed; its next push makes it again",
    });
  });

  it('removes closed previews, after which the pull request may have one again', async () => {
    const parent = engine.workspaces.create(
      { name: 'api', repositoryUrl: 'acme/api', previews: true },
      null,
    );
    const first = engine.previews.open(parent, 6, 'six', 'acme/api');
    if (first.workspace === undefined) throw new Error(first.refused);
    engine.previews.close('acme/api', 6, null);
    // The closed preview of 'web' (above) goes too.
    expect(await engine.previews.removeClosed()).toBe(2);
    expect(store.getWorkspace(first.workspace.id)).toBeUndefined();
    expect(engine.previews.list(parent.id)).toEqual([]);
    const second = engine.previews.open(parent, 6, 'six', 'acme/api');
    expect(second).toMatchObject({ created: true, workspace: { name: 'api-pr-6' } });
    expect(second.workspace?.id).not.toBe(first.workspace.id);
  });

  it('finds the previews of a renamed repository under its new name', () => {
    const parent = engine.workspaces.create(
      { name: 'docs', repositoryUrl: 'acme/docs', previews: true },
      null,
    );
    const opened = engine.previews.open(parent, 3, 'three', 'acme/docs');
    if (opened.workspace === undefined) throw new Error(opened.refused);
    engine.previews.renamed('Acme/Docs', 'Beta/Handbook');
    expect(engine.previews.close('acme/docs', 3, null)).toEqual([]);
    expect(engine.previews.close('beta/handbook', 3, null)).toEqual([opened.workspace]);
  });

  it('turns previews off and on, and refuses them on a preview', () => {
    const parent = engine.workspaces.create({ name: 'cli', repositoryUrl: 'acme/cli' }, null);
    expect(engine.previews.on(parent.id)).toBe(false);
    engine.workspaces.update(parent.id, { previews: true });
    expect(engine.previews.on(parent.id)).toBe(true);
    const opened = engine.previews.open(parent, 2, 'two', 'acme/cli');
    if (opened.workspace === undefined) throw new Error(opened.refused);
    expect(() => engine.workspaces.update(opened.workspace.id, { previews: true })).toThrow(
      '"previews" is true; expected false: workspace \'cli-pr-2\' is itself the preview of pull request #2, and a preview gets no previews',
    );
    engine.workspaces.update(parent.id, { previews: false });
    expect(engine.previews.on(parent.id)).toBe(false);
    // The open pull request keeps its preview until it closes.
    expect(engine.previews.of(opened.workspace.id)).toBeDefined();
  });
});
