import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import { isoTime } from '../core/types.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo } from './helpers/git.js';
import { recordingLogger } from './helpers/outbox-sender.js';
import { eventually } from './helpers/wait.js';

// The git source answers NOT_FOUND for a repository or commit that is gone (a force-push, a
// revoked token on a private repository) as the store does for a deleted workspace. A drift
// check that took the one for the other went quiet for good while the workspace still existed.
describe('a drift check of a workspace whose deployed commit is gone', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-drift-gone-'));
  const repo = createRepo(helloJob());
  let engine: Engine | undefined;
  afterAll(async () => {
    await engine?.stop();
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so in a warning, once, and the drift stays UNKNOWN', async () => {
    const store = openSqliteStore(path.join(dir, 'slipway.db'));
    const logger = recordingLogger();
    engine = createEngine({
      store,
      runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
      source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
      logger,
      driftCheckMs: 200,
    });
    const created = engine.workspaces.create({ name: 'gone', repositoryUrl: repo.dir }, null);
    // Deployed at a commit the repository no longer has (force-pushed away, its checkout evicted).
    store.updateWorkspace({
      ...created,
      status: 'READY',
      lastCommitId: 'd'.repeat(40),
      lastDeployed: isoTime(Date.now()),
    });
    await engine.start();
    const warning = await eventually(
      () =>
        logger.lines.find(
          (l) =>
            l.level === 'warn' && l.msg.startsWith("could not check workspace 'gone' for drift"),
        ),
      'a warning that the check failed',
    );
    expect(warning.obj).toMatchObject({ workspaceId: created.id });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(
      logger.lines.filter((l) => l.msg.startsWith("could not check workspace 'gone'")),
    ).toHaveLength(1);
    expect(engine.driftOf(created.id).status).toBe('UNKNOWN');
  });
});
