import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { originParams } from '../app/github/origin.js';
import { DEPLOYMENT_TOPIC, recordRetirements } from '../app/github/record-reports.js';
import { openSqliteStore } from '../core/store/sqlite.js';
import { isoTime, systemClock, type Workspace } from '../core/types.js';
import { testJob } from './helpers/jobs.js';

// A deleted workspace's GitHub deployments go inactive: the deploys that reported one are found
// among its latest jobs even when the pull requests' plans since outnumber them.
describe('the GitHub retirement of a deleted workspace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-retire-'));
  const store = openSqliteStore(path.join(dir, 'slipway.db'));
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the deploys that reported a deployment, past 60 newer plans', () => {
    const workspace: Workspace = {
      id: 'w-crowd',
      name: 'crowd',
      alias: 'crowd',
      repositoryUrl: 'acme/crowd',
      branch: 'main',
      namespace: 'crowd',
      status: 'READY',
      deploymentSecret: 'secret-0123456789abcdef',
      owner: null,
      timeoutSeconds: 600,
      created: isoTime(0),
      lastModified: isoTime(0),
      lastJobId: 'deploy-2',
      lastCommitId: 'a'.repeat(40),
      lastDeployed: isoTime(0),
    };
    store.insertWorkspace(workspace);
    const origin = (kind: 'deploy' | 'plan') =>
      originParams({
        installationId: 7,
        repository: 'acme/crowd',
        headSha: 'a'.repeat(40),
        kind,
        checkName: kind === 'plan' ? 'Slipway plan / crowd' : 'Slipway / crowd',
        environment: 'crowd',
      });
    const job = (id: string, at: number, kind: 'deploy' | 'plan', started = true) =>
      store.insertJob(
        testJob({
          id,
          created: isoTime(at * 1000),
          status: 'COMPLETE',
          startTime: started ? isoTime(at * 1000) : null,
          target: kind === 'plan' ? `plan:${workspace.id}:pull/${at}` : `workspace:${workspace.id}`,
          workspaceId: workspace.id,
          params: { origin: origin(kind), ...(kind === 'plan' ? { plan: true } : {}) },
        }),
      );
    job('deploy-1', 1, 'deploy');
    job('deploy-2', 2, 'deploy');
    // Stopped before it ran: no deployment was made for it.
    job('deploy-3', 3, 'deploy', false);
    for (let i = 0; i < 60; i++) job(`plan-${i}`, 10 + i, 'plan');

    let woken = 0;
    store.transaction(() => recordRetirements(store, systemClock, () => woken++)(workspace));
    const [entry] = store.outboxOf(DEPLOYMENT_TOPIC, 'deploy-2');
    expect(entry?.payload).toEqual({ status: 'COMPLETE', inactive: ['deploy-2', 'deploy-1'] });
  });
});
