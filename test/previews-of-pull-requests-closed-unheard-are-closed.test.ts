import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Probot } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedPullRequests, type InstallationClient } from '../app/github/closed-pull-requests.js';
import { slipwayOctokit } from '../app/github/octokit.js';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Store } from '../core/store/types.js';
import type { Workspace } from '../core/types.js';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';

// The look for pull requests that closed without their event reaching Slipway: the previews
// of those GitHub says are closed are closed (and then removed, as after the event), those of
// open ones stay, an unchanged pull request costs a 304, and one GitHub will not show is left.
describe('previews whose pull request closed unheard', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-closed-pulls-'));
  let store: Store;
  let engine: Engine;
  let github: GitHubApiServer;
  let installationId: number;
  let scans: ClosedPullRequests;
  let shop: Workspace;
  let staging: Workspace;
  const logged: { level: number; msg: string; [key: string]: unknown }[] = [];

  /** A pull request on GitHub and the preview of it (for each of `parents`), as events make them. */
  function previewed(
    head: string,
    parents: Workspace[],
    labels: string[] = [],
  ): { number: number; previews: Workspace[] } {
    const pull = github.openPullRequest(REPO, { head, sha: 'a'.repeat(40), base: 'main', labels });
    const previews = parents.map((parent) => {
      const opened = engine.previews.open(parent, {
        repository: REPO,
        pullRequest: pull.number,
        branch: head,
        updatedAt: pull.updated_at ?? undefined,
      });
      if (!opened.workspace) throw new Error(opened.refused);
      return opened.workspace;
    });
    return { number: pull.number, previews };
  }

  const closedOf = (workspace: Workspace) => engine.previews.of(workspace.id)?.closed ?? null;
  /** The scans as the App runs them: Probot with Slipway's Octokit (no retries of its own). */
  function scansWith(installationOf: (repository: string, ask?: boolean) => Promise<number>) {
    const probot = new Probot({
      appId: github.appId,
      privateKey: github.privateKey,
      baseUrl: github.baseUrl,
      logLevel: 'fatal',
      Octokit: slipwayOctokit(),
    });
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => logged.push(JSON.parse(line)) },
    );
    return new ClosedPullRequests({
      previews: engine.previews,
      logger,
      installationOf,
      client: async (id) => (await probot.auth(id)) as unknown as InstallationClient,
    });
  }
  const pullRequests = (number: number) =>
    github.requests.filter((r) => r.path === `/repos/${REPO}/pulls/${number}`);

  beforeAll(async () => {
    store = openSqliteStore(path.join(dir, 'slipway.db'));
    engine = createEngine({
      store,
      runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
    });
    await engine.runtime.start();
    github = await startGitHubApiServer();
    github.addRepository(REPO, '/nonexistent');
    installationId = github.addInstallation('acme', [REPO]).id;
    scans = scansWith(async () => installationId);
    shop = engine.workspaces.create({ name: 'shop', repositoryUrl: REPO, previews: true }, null);
    staging = engine.workspaces.create(
      { name: 'shop-staging', repositoryUrl: REPO, previews: true },
      null,
    );
  });
  afterAll(async () => {
    await scans?.stop();
    await github?.close();
    await engine?.runtime.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the previews of a pull request GitHub says closed, once per pull request, and removes them', async () => {
    const open = previewed('feature', [shop]);
    const merged = previewed('merged', [shop, staging]);
    const shut = previewed('shut', [shop]);
    github.closePullRequest(REPO, merged.number, { merged: true });
    github.closePullRequest(REPO, shut.number);

    expect(await scans.scan()).toBe(3);
    expect(closedOf(open.previews[0] as Workspace)).toBeNull();
    for (const preview of merged.previews) {
      expect(closedOf(preview)).toMatchObject({ by: 'github:Codertocat' });
    }
    expect(closedOf(shut.previews[0] as Workspace)).toMatchObject({ by: 'github' });
    // One request for the pull request two workspaces preview.
    expect(pullRequests(merged.number)).toHaveLength(1);
    expect(logged.find((l) => l.msg.includes(`#${merged.number} of ${REPO} closed`))).toMatchObject(
      {
        previews: ['shop-pr-2', 'shop-staging-pr-2'],
      },
    );

    // The close is kept as the event's would be: an event of before it makes no preview again.
    const late = engine.previews.open(shop, {
      repository: REPO,
      pullRequest: shut.number,
      branch: 'shut',
      updatedAt: '2020-01-01T00:00:00Z',
    });
    expect(late).toMatchObject({ refused: expect.stringMatching(/delivered it late/) });

    // The engine's removal pass removes them, as after a close event.
    expect(await engine.previews.removeClosed()).toBe(3);
    const names = store.listWorkspaces({ offset: 0, limit: 50 }).items.map((ws) => ws.name);
    expect(names.sort()).toEqual(['shop', 'shop-pr-1', 'shop-staging']);
  });

  it('asks again with the ETag of the last answer: an unchanged pull request costs a 304, a changed one is read', async () => {
    const { number, previews } = previewed('etag', [shop]);
    expect(await scans.scan()).toBe(0);
    expect(await scans.scan()).toBe(0);
    const asked = pullRequests(number).map((r) => r.status);
    expect(asked).toEqual([200, 304]);
    github.closePullRequest(REPO, number);
    expect(await scans.scan()).toBe(1);
    expect(pullRequests(number).map((r) => r.status)).toEqual([200, 304, 200]);
    expect(closedOf(previews[0] as Workspace)).not.toBeNull();
  });

  it('leaves the previews of a pull request GitHub does not show, saying so, and checks the others', async () => {
    // Pull request 99 is not on GitHub (a repository that moved, or a token that lost it).
    const ghost = engine.previews.open(shop, {
      repository: REPO,
      pullRequest: 99,
      branch: 'ghost',
      updatedAt: new Date().toISOString(),
    });
    if (!ghost.workspace) throw new Error(ghost.refused);
    const { number, previews } = previewed('after-ghost', [shop]);
    github.closePullRequest(REPO, number);
    expect(await scans.scan()).toBe(1);
    expect(closedOf(ghost.workspace)).toBeNull();
    expect(closedOf(previews[0] as Workspace)).not.toBeNull();
    expect(logged.find((l) => l.pullRequest === 99)).toMatchObject({
      level: 40,
      status: 404,
      repository: REPO,
    });
    expect(logged.find((l) => l.pullRequest === 99)?.msg).toMatch(
      /could not ask GitHub whether pull request #99 of acme\/shop is still open; its previews stay/,
    );
  });

  it('closes the previews of workspaces of a base branch a pull request no longer merges into', async () => {
    const release = engine.workspaces.create(
      { name: 'shop-release', repositoryUrl: REPO, branch: 'release', previews: true },
      null,
    );
    const { number, previews } = previewed('moving', [shop, staging]);
    github.retargetPullRequest(REPO, number, 'release');
    // shop and shop-staging deploy main: both previews go; release's comes with an event.
    expect(await scans.scan()).toBe(2);
    for (const preview of previews) expect(closedOf(preview)).toMatchObject({ by: 'github' });
    expect(logged.find((l) => l.msg.includes('(it merges into release;'))).toMatchObject({
      pullRequest: number,
      base: 'release',
      previews: [`shop-pr-${number}`, `shop-staging-pr-${number}`],
    });
    // Not kept as a close: the event of the move, or the next push, makes release's preview.
    const moved = engine.previews.open(release, {
      repository: REPO,
      pullRequest: number,
      branch: 'moving',
      updatedAt: new Date().toISOString(),
    });
    expect(moved).toMatchObject({
      created: true,
      workspace: { name: `shop-release-pr-${number}` },
    });
    expect(await scans.scan()).toBe(0);
  });

  it('looks again at what an unchanged answer said: a preview an event delivered late made since goes', async () => {
    const { number, previews } = previewed('late', [shop]);
    const opened = engine.previews.of(previews[0]?.id ?? '')?.updatedAt ?? undefined;
    github.retargetPullRequest(REPO, number, 'release');
    expect(await scans.scan()).toBe(1);
    await engine.previews.removeClosed();
    // GitHub delivers the opened event again, late: the preview of main is made anew.
    const late = engine.previews.open(shop, {
      repository: REPO,
      pullRequest: number,
      branch: 'late',
      updatedAt: opened,
    });
    if (!late.workspace) throw new Error(late.refused);
    expect(await scans.scan()).toBe(1);
    expect(pullRequests(number).map((r) => r.status)).toEqual([200, 304]);
    expect(closedOf(late.workspace)).not.toBeNull();
  });

  it('closes the preview of a pull request whose label it was made for came off unheard', async () => {
    const labelled = engine.workspaces.create(
      { name: 'shop-qa', repositoryUrl: REPO, previews: true, previewLabel: 'Preview' },
      null,
    );
    const { number, previews } = previewed('labelled', [shop, labelled], ['preview', 'bug']);
    github.labelPullRequest(REPO, number, ['bug']);
    expect(await scans.scan()).toBe(1);
    expect(closedOf(previews[0] as Workspace)).toBeNull();
    expect(closedOf(previews[1] as Workspace)).toMatchObject({ by: 'github' });
  });

  it('keeps a preview a reopen moved while GitHub answered that its pull request closed, even in the same second; closes one reopened and closed in one second before', async () => {
    const reopen = (number: number, updatedAt: string | undefined, branch: string) =>
      engine.previews.open(shop, {
        repository: REPO,
        pullRequest: number,
        branch,
        updatedAt,
        reopened: true,
      });
    // The close GitHub answers with, and a reopen of its second handled while it answers.
    const raced = previewed('raced', [shop]);
    const closedAt = github.closePullRequest(REPO, raced.number).updated_at ?? undefined;
    // Exactly its path: a prefix would catch #99's as well.
    github.inject({ path: new RegExp(`^/repos/${REPO}/pulls/${raced.number}$`), hold: true });
    const scanned = scans.scan();
    await eventually(
      async () => pullRequests(raced.number).some((r) => r.status === 0) || undefined,
      'the look to ask for the pull request',
    );
    reopen(raced.number, closedAt, 'raced');
    github.releaseHeld();
    await scanned;
    expect(closedOf(raced.previews[0] as Workspace)).toBeNull();
    github.reopenPullRequest(REPO, raced.number);

    // Reopened and closed again within one second, before the look: GitHub's answer is the
    // latest word, and the preview goes (the close event, of the reopen's second, left it).
    const bounced = previewed('bounced', [shop]);
    const at = github.closePullRequest(REPO, bounced.number).updated_at ?? undefined;
    reopen(bounced.number, at, 'bounced');
    expect(
      engine.previews.close(REPO, bounced.number, null, { updatedAt: at, remember: true }),
    ).toEqual([]);
    expect(await scans.scan()).toBe(1);
    expect(closedOf(bounced.previews[0] as Workspace)).not.toBeNull();
  });

  it('stops at GitHub rate limit with one warning, and asks a repository installed anew for its installation', async () => {
    github.inject({ path: `/repos/${REPO}/pulls/`, rateLimit: true });
    const before = github.requests.length;
    const warned = logged.length;
    await scans.scan();
    const asked = github.requests.slice(before).filter((r) => r.path.includes('/pulls/'));
    expect(asked).toHaveLength(1);
    expect(logged.slice(warned).filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: expect.stringContaining("GitHub's rate limit stopped") }),
    ]);

    // An installation removed and made anew, unheard: the one known answers 404.
    const gone = github.addInstallation('acme-old', []).id;
    github.removeInstallation(gone);
    const looked: boolean[] = [];
    const anew = scansWith(async (_repository, ask) => {
      looked.push(ask === true);
      return ask ? installationId : gone;
    });
    const { number, previews } = previewed('anew', [shop]);
    github.closePullRequest(REPO, number);
    expect(await anew.scan()).toBeGreaterThanOrEqual(1);
    expect(closedOf(previews[0] as Workspace)).not.toBeNull();
    expect(looked).toContain(true);
  });

  it('leaves a preview reopened after the pull request closed', async () => {
    const { number, previews } = previewed('reopened', [shop]);
    github.closePullRequest(REPO, number);
    github.reopenPullRequest(REPO, number);
    expect(await scans.scan()).toBe(0);
    expect(closedOf(previews[0] as Workspace)).toBeNull();
  });
});
