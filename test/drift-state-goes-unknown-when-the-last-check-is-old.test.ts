import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../core/store/sqlite.js';
import type { Workspace } from '../core/types.js';
import { type DriftCheck, driftState } from '../core/workspaces/index.js';

// Checks that start failing (a git host down) or are turned off leave their last finding in the
// store; shown as current, a DRIFTED badge or an IN_SYNC would stand for ever.
describe('the drift state of a workspace whose last check is old', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-drift-age-'));
  const store = openSqliteStore(path.join(dir, 'slipway.db'));
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deployed = '2026-12-01T10:00:00.000Z';
  const workspace: Workspace = {
    id: 'w1',
    name: 'shop',
    alias: 'shop',
    repositoryUrl: 'acme/shop',
    branch: 'main',
    namespace: 'shop',
    status: 'READY',
    deploymentSecret: 'secret',
    owner: null,
    timeoutSeconds: 600,
    created: deployed,
    lastModified: deployed,
    lastJobId: null,
    lastCommitId: 'c'.repeat(40),
    lastDeployed: deployed,
  };
  store.insertWorkspace(workspace);
  const check: DriftCheck = {
    workspaceId: 'w1',
    commit: 'c'.repeat(40),
    checked: '2026-12-01T11:00:00.000Z',
    everyMs: 60_000,
    drifted: ["deployment 'web': Deployment web: spec.replicas is 0, git says 2"],
    since: '2026-12-01T11:00:00.000Z',
    heals: 0,
    healJobId: null,
    healed: null,
    healStreak: 0,
  };
  store.putRecord('workspace-drift', 'w1', '', check);
  const at = (iso: string) => driftState(store, workspace, Date.parse(iso)).status;

  it('tells while the check is no older than three intervals and a minute, then says UNKNOWN', () => {
    expect(at('2026-12-01T11:01:00.000Z')).toBe('DRIFTED');
    expect(at('2026-12-01T11:04:00.000Z')).toBe('DRIFTED');
    expect(at('2026-12-01T11:04:00.001Z')).toBe('UNKNOWN');
  });
});
