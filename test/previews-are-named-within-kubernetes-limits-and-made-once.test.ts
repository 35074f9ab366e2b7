import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import { desiredWorkloads } from '../core/workspaces/deploy-workspace.js';
import { DNS_LABEL, previewName } from '../core/workspaces/index.js';
import { createRepo, manifest } from './helpers/git.js';

/** What a pull request event of `repository` says, sent at `updatedAt`. */
function event(repository: string, pullRequest: number, branch: string, updatedAt?: string) {
  return { repository, pullRequest, branch, updatedAt };
}

// The preview service on a real SQLite store: names that fit what Kubernetes and Slipway accept,
// one preview per pull request, and the refusals that say why none was made.
describe('previews of pull requests', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-previews-'));
  let store: Store;
  let engine: Engine;
  beforeAll(async () => {
    store = openSqliteStore(path.join(dir, 'slipway.db'));
    engine = createEngine({
      store,
      runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
    });
    // The runtime only: the engine's periodic passes would race the tests' own calls.
    await engine.runtime.start();
  });
  afterAll(async () => {
    await engine.runtime.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts the name, alias and namespace short so that -pr-<number> fits, marked with a hash', () => {
    expect(previewName('shop', 12, 63)).toBe('shop-pr-12');
    expect(previewName('a'.repeat(57), 12, 63)).toBe(`${'a'.repeat(57)}-pr-12`);
    const long = `${'a'.repeat(55)}-${'b'.repeat(7)}`;
    const cut = previewName(long, 12345, 63);
    expect(cut).toMatch(/^a{49}-[0-9a-f]{4}-pr-12345$/);
    // Two long names alike at the start stay apart.
    const prod = previewName(`${'n'.repeat(58)}-prod`, 7, 63);
    const test = previewName(`${'n'.repeat(58)}-test`, 7, 63);
    expect(prod).not.toBe(test);
    for (const name of [cut, prod, test]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_LABEL);
    }
    // A cut that ends on '-' drops it: a Kubernetes name ends with a letter or digit.
    expect(previewName(`${'a'.repeat(48)}-zzzzzzzzzz`, 12345, 63)).toMatch(
      /^a{48}-[0-9a-f]{4}-pr-12345$/,
    );
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
    const opened = engine.previews.open(parent, event('Acme/Data', 31, 'feature/x'));
    if (opened.workspace === undefined) throw new Error(opened.refused);
    expect(opened.created).toBe(true);
    const preview = opened.workspace;
    expect(preview).toMatchObject({
      repositoryUrl: 'acme/data',
      branch: 'feature/x',
      owner: 'alice',
      timeoutSeconds: 42,
      namespace: expect.stringMatching(/^n{52}-[0-9a-f]{4}-pr-31$/),
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
    const again = engine.previews.open(parent, event('acme/data', 31, 'feature/x'));
    expect(again).toEqual({ workspace: preview, created: false });
    expect(engine.previews.list(parent.id)).toHaveLength(1);
  });

  it('says why when the name is taken, or the last preview of the pull request is still going', () => {
    const parent = engine.workspaces.create(
      { name: 'web', repositoryUrl: 'acme/web', previews: true },
      null,
    );
    engine.workspaces.create({ name: 'web-pr-4', repositoryUrl: 'acme/other' }, null);
    expect(engine.previews.open(parent, event('acme/web', 4, 'four'))).toEqual({
      refused:
        "no preview of pull request #4 for workspace 'web': the name 'web-pr-4' is another workspace's",
    });

    const opened = engine.previews.open(parent, event('acme/web', 5, 'five'));
    if (opened.workspace === undefined) throw new Error(opened.refused);
    // Closed on another repository's pull request of the same number: not this one.
    expect(engine.previews.close('acme/other', 5, 'github:bob', { remember: true })).toEqual([]);
    expect(engine.workspaces.isBeingDeleted(opened.workspace.id)).toBe(false);
    expect(
      engine.previews.close('ACME/web', 5, 'github:bob', {
        updatedAt: '2026-12-01T10:00:00Z',
        remember: true,
      }),
    ).toEqual([opened.workspace]);
    expect(engine.previews.of(opened.workspace.id)?.closed).toMatchObject({ by: 'github:bob' });
    // No push deploys it now; an event sent before the close (delivered late) makes nothing.
    expect(engine.workspaces.isBeingDeleted(opened.workspace.id)).toBe(true);
    expect(
      engine.previews.open(parent, event('acme/web', 5, 'five', '2026-12-01T09:59:00Z')),
    ).toEqual({
      refused:
        'pull request #5 closed (updated 2026-12-01T10:00:00Z) after this event was sent (updated 2026-12-01T09:59:00Z): GitHub delivered it late; no preview',
    });
    expect(engine.previews.open(parent, event('acme/web', 5, 'five'))).toMatchObject({
      refused: expect.stringContaining('(updated at an unknown time)'),
    });
    // Reopened since: it waits for the removal of the last one.
    expect(
      engine.previews.open(parent, event('acme/web', 5, 'five', '2026-12-01T10:01:00Z')),
    ).toEqual({
      refused:
        "the preview of pull request #5 of workspace 'web' is still being removed; the pull request's next push makes it again",
    });
    // A close redelivered, older than the one kept, keeps the later time.
    engine.previews.close('acme/web', 5, null, {
      updatedAt: '2026-12-01T08:00:00Z',
      remember: true,
    });
    expect(
      engine.previews.open(parent, event('acme/web', 5, 'five', '2026-12-01T09:59:00Z')),
    ).toMatchObject({
      refused: expect.stringContaining('closed (updated 2026-12-01T10:00:00Z)'),
    });
  });

  it('removes closed previews, after which the pull request may have one again', async () => {
    const parent = engine.workspaces.create(
      { name: 'api', repositoryUrl: 'acme/api', previews: true },
      null,
    );
    const first = engine.previews.open(parent, event('acme/api', 6, 'six'));
    if (first.workspace === undefined) throw new Error(first.refused);
    engine.previews.close('acme/api', 6, null, { remember: true });
    const reopened = new Date(Date.now() + 60_000).toISOString();
    // The closed preview of 'web' (above) goes too.
    expect(await engine.previews.removeClosed()).toBe(2);
    expect(store.getWorkspace(first.workspace.id)).toBeUndefined();
    expect(engine.previews.list(parent.id)).toEqual([]);
    const second = engine.previews.open(parent, event('acme/api', 6, 'six', reopened));
    expect(second).toMatchObject({ created: true, workspace: { name: 'api-pr-6' } });
    expect(second.workspace?.id).not.toBe(first.workspace.id);
  });

  it('makes again, once removed, the preview of a pull request reopened during its removal, and deploys its head', async () => {
    const parent = engine.workspaces.create(
      { name: 'guide', repositoryUrl: 'acme/guide', previews: true },
      null,
    );
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    const first = engine.previews.open(parent, event('acme/guide', 8, 'eight', at(0)));
    if (first.workspace === undefined) throw new Error(first.refused);
    engine.previews.close('acme/guide', 8, 'github:bob', { updatedAt: at(1), remember: true });
    const head = 'c'.repeat(40);
    const reopen = (minutes: number) =>
      engine.previews.open(parent, {
        ...event('acme/guide', 8, 'eight', at(minutes)),
        reopened: true,
        head,
        by: 'github:carol',
      });
    // Reopened while the closed one is still there: made again once it is gone.
    expect(reopen(2)).toEqual({ remaking: 'guide-pr-8' });
    // A close sent before that reopen (delivered late) leaves it be; one after it calls it off.
    engine.previews.close('acme/guide', 8, null, { updatedAt: at(1), remember: true });
    expect(store.listRecords('preview-reopens')).toHaveLength(1);
    engine.previews.close('acme/guide', 8, null, { updatedAt: at(3), remember: true });
    expect(store.listRecords('preview-reopens')).toHaveLength(0);
    expect(reopen(4)).toEqual({ remaking: 'guide-pr-8' });

    await engine.previews.removeClosed();
    expect(store.getWorkspace(first.workspace.id)).toBeUndefined();
    const [again] = engine.previews.list(parent.id);
    expect(again).toMatchObject({ pullRequest: 8, closed: null });
    const made = store.getWorkspace(again?.workspaceId ?? '');
    expect(made).toMatchObject({ name: 'guide-pr-8', branch: 'eight' });
    const deploys = store.listJobs({ workspaceId: made?.id }, { offset: 0, limit: 10 }).items;
    expect(deploys).toEqual([
      expect.objectContaining({
        type: 'WORKSPACE_DEPLOY',
        status: 'QUEUED',
        commitId: head,
        identity: 'github:carol',
      }),
    ]);
    expect(store.listRecords('preview-reopens')).toEqual([]);
    // The next pass makes nothing more.
    await engine.previews.removeClosed();
    expect(engine.previews.list(parent.id)).toHaveLength(1);
  });

  it('follows labels: same-second events stay undecided, a label put back during the removal makes it again', async () => {
    const parent = engine.workspaces.create(
      { name: 'labels', repositoryUrl: 'acme/labels', previews: true, previewLabel: 'x' },
      null,
    );
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds)).toISOString();
    const labelled = (seconds: number) => ({
      ...event('acme/labels', 9, 'nine', at(seconds)),
      head: 'd'.repeat(40),
    });
    const first = engine.previews.open(parent, labelled(1));
    if (first.workspace === undefined) throw new Error(first.refused);
    const move = (seconds: number, labels: string[]) =>
      engine.previews.close('acme/labels', 9, null, {
        updatedAt: at(seconds),
        remember: false,
        now: { base: 'main', labels },
      });
    // Taken off in the same second it was put on, delivered after: undecided, it stays (the
    // periodic look asks GitHub); one second later, it goes.
    expect(move(1, [])).toEqual([]);
    // The workspace now asks for 'y', which the pull request has: taking 'x' off leaves it.
    engine.workspaces.update(parent.id, { previewLabel: 'y' });
    expect(move(2, ['y'])).toEqual([]);
    engine.workspaces.update(parent.id, { previewLabel: 'x' });
    expect(move(3, [])).toEqual([first.workspace]);
    // Put back while it is being removed: an event from before the removal is late, one after
    // it makes the preview again once the old one is gone.
    expect(engine.previews.open(parent, labelled(2))).toMatchObject({
      refused: expect.stringContaining('still being removed'),
    });
    expect(engine.previews.open(parent, labelled(4))).toEqual({ remaking: 'labels-pr-9' });
    await engine.previews.removeClosed();
    const [again] = engine.previews.list(parent.id);
    expect(again).toMatchObject({ pullRequest: 9, closed: null, label: 'x', base: 'main' });
    expect(again?.workspaceId).not.toBe(first.workspace.id);
  });

  it('keeps a reopen made in the second of a close GitHub delivers again', async () => {
    const parent = engine.workspaces.create(
      { name: 'again', repositoryUrl: 'acme/again', previews: true },
      null,
    );
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 13, 0, seconds)).toISOString();
    const opened = engine.previews.open(parent, event('acme/again', 4, 'four', at(0)));
    if (opened.workspace === undefined) throw new Error(opened.refused);
    const close = () =>
      engine.previews.close('acme/again', 4, null, { updatedAt: at(5), remember: true });
    close();
    expect(
      engine.previews.open(parent, {
        ...event('acme/again', 4, 'four', at(5)),
        reopened: true,
        head: 'e'.repeat(40),
      }),
    ).toEqual({ remaking: 'again-pr-4' });
    close();
    expect(store.listRecords('preview-reopens')).toHaveLength(1);
    await engine.previews.removeClosed();
    expect(engine.previews.list(parent.id)).toEqual([
      expect.objectContaining({ pullRequest: 4, closed: null }),
    ]);
  });

  it('forgets a close a week after it heard of it, longer than GitHub redelivers', async () => {
    const parent = engine.workspaces.create(
      { name: 'old', repositoryUrl: 'acme/old', previews: true },
      null,
    );
    engine.previews.close('acme/old', 1, null, {
      updatedAt: '2026-01-01T00:00:00Z',
      remember: true,
    });
    const kept = store.getRecord<{ heard: string }>('closed-pull-requests', 'acme/old#1');
    if (!kept) throw new Error('the close was not kept');
    const weekAgo = new Date(Date.now() - 7 * 24 * 3600 * 1000 - 1000).toISOString();
    store.putRecord('closed-pull-requests', 'acme/old#1', '', { ...kept, heard: weekAgo });
    engine.previews.close('acme/old', 2, null, { remember: true });
    await engine.previews.removeClosed();
    expect(
      engine.previews.open(parent, event('acme/old', 1, 'one', '2025-12-31T00:00:00Z')),
    ).toMatchObject({
      created: true,
    });
    expect(
      engine.previews.open(parent, event('acme/old', 2, 'two', '2025-12-31T00:00:00Z')),
    ).toMatchObject({
      refused: expect.stringContaining('GitHub delivered it late'),
    });
    // Without `remember` (no workspace of the repository has previews), nothing is kept.
    engine.previews.close('acme/old', 3, null, { remember: false });
    expect(
      engine.previews.open(parent, event('acme/old', 3, 'three', '2025-12-31T00:00:00Z')),
    ).toMatchObject({
      created: true,
    });
  });

  it('keeps a preview a late close was sent before: the pull request reopened since', () => {
    const parent = engine.workspaces.create(
      { name: 'late', repositoryUrl: 'acme/late', previews: true },
      null,
    );
    const opened = engine.previews.open(
      parent,
      event('acme/late', 1, 'one', '2026-12-01T10:00:00Z'),
    );
    if (opened.workspace === undefined) throw new Error(opened.refused);
    // Reopened (its close lost for now): the preview learns the later time.
    engine.previews.open(parent, {
      ...event('acme/late', 1, 'one', '2026-12-01T10:02:00Z'),
      reopened: true,
    });
    expect(engine.previews.of(opened.workspace.id)?.updatedAt).toBe('2026-12-01T10:02:00Z');
    // The close sent in between arrives: it is older than the reopen.
    expect(
      engine.previews.close('acme/late', 1, null, {
        updatedAt: '2026-12-01T10:01:00Z',
        remember: true,
      }),
    ).toEqual([]);
    expect(engine.workspaces.isBeingDeleted(opened.workspace.id)).toBe(false);
    // A later close, or one that does not say when, closes it.
    expect(engine.previews.close('acme/late', 1, null, { remember: true })).toEqual([
      opened.workspace,
    ]);
  });

  it('takes a reopen in the second of the close as after it (GitHub counts whole seconds)', () => {
    const parent = engine.workspaces.create(
      { name: 'quick', repositoryUrl: 'acme/quick', previews: true },
      null,
    );
    engine.previews.close('acme/quick', 2, null, {
      updatedAt: '2026-12-01T10:00:05Z',
      remember: true,
    });
    expect(
      engine.previews.open(parent, event('acme/quick', 2, 'two', '2026-12-01T10:00:05Z')),
    ).toMatchObject({
      refused: expect.stringContaining('GitHub delivered it late'),
    });
    expect(
      engine.previews.open(parent, {
        ...event('acme/quick', 2, 'two', '2026-12-01T10:00:05Z'),
        reopened: true,
      }),
    ).toMatchObject({ created: true });
  });

  it("refuses a preview whose namespace or alias is another workspace's", () => {
    const parent = engine.workspaces.create(
      { name: 'app', repositoryUrl: 'acme/app', previews: true },
      null,
    );
    engine.workspaces.create(
      { name: 'legacy', repositoryUrl: 'acme/legacy', namespace: 'app-pr-2' },
      null,
    );
    expect(engine.previews.open(parent, event('acme/app', 2, 'two'))).toEqual({
      refused:
        "no preview of pull request #2 for workspace 'app': workspace 'legacy' deploys to namespace app-pr-2, which would be the preview's",
    });
    engine.workspaces.create(
      {
        name: 'Legacy Three',
        repositoryUrl: 'acme/legacy',
        alias: 'app-pr-3',
        namespace: 'elsewhere',
      },
      null,
    );
    expect(engine.previews.open(parent, event('acme/app', 3, 'three'))).toEqual({
      refused:
        "no preview of pull request #3 for workspace 'app': workspace 'Legacy Three' has the alias app-pr-3, which would be the preview's",
    });
  });

  it('finds the previews of a renamed repository under its new name', () => {
    const parent = engine.workspaces.create(
      { name: 'docs', repositoryUrl: 'acme/docs', previews: true },
      null,
    );
    const opened = engine.previews.open(parent, event('acme/docs', 3, 'three'));
    if (opened.workspace === undefined) throw new Error(opened.refused);
    engine.previews.renamed('Acme/Docs', 'Beta/Handbook');
    expect(engine.previews.close('acme/docs', 3, null, { remember: true })).toEqual([]);
    expect(engine.previews.close('beta/handbook', 3, null, { remember: true })).toEqual([
      opened.workspace,
    ]);
  });

  it("leaves a published service's Ingress out of a preview: it would take the workspace's routes", async () => {
    const repo = createRepo({
      'tasks/web/manifest.json': manifest({
        name: 'web',
        type: 'service',
        'container-port': 8080,
        cmd: ['node', 'server.js'],
        published: { prefix: '/shop' },
      }),
      'tasks/web/server.js': '',
    });
    try {
      const parent = engine.workspaces.create(
        { name: 'shop', repositoryUrl: repo.dir, previews: true },
        null,
      );
      const opened = engine.previews.open(parent, event('acme/shop', 12, 'main'));
      if (opened.workspace === undefined) throw new Error(opened.refused);
      const source = createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir });
      const checkout = await source.fetch(repo.dir, 'main');
      const runtime = createLocalRuntime({ stateDir: path.join(dir, 'render') });
      const ours = await desiredWorkloads(runtime, store, parent, checkout);
      expect(ours.workloads[0]?.published).toEqual({ prefix: '/shop' });
      expect(ours.unpublished).toEqual([]);
      const preview = await desiredWorkloads(runtime, store, opened.workspace, checkout);
      expect(preview.workloads[0]?.published).toBeNull();
      expect(preview.workloads[0]?.namespace).toBe('shop-pr-12');
      expect(preview.unpublished).toEqual(['web']);
    } finally {
      repo.cleanup();
    }
  });

  it('turns previews off and on, and refuses them on a preview', () => {
    const parent = engine.workspaces.create({ name: 'cli', repositoryUrl: 'acme/cli' }, null);
    expect(engine.previews.on(parent.id)).toBe(false);
    engine.workspaces.update(parent.id, { previews: true });
    expect(engine.previews.on(parent.id)).toBe(true);
    const opened = engine.previews.open(parent, event('acme/cli', 2, 'two'));
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
