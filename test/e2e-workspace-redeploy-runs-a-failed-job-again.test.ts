import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from './fakes/kube/index.js';
import { createRepo, manifest } from './helpers/git.js';
import { deployAndWait, type ServerProcess, startServer } from './helpers/server.js';

/**
 * A deploy is how a failed task is tried again: a job that failed runs again on the next deploy,
 * even of the same commit, while one that succeeded is left as it ended (a migration that ran
 * does not run twice). Before, a failed job stayed failed until its manifest changed.
 */
async function deployer(server: ServerProcess, repositoryUrl: string) {
  const id = (await server.api('POST', '/api/workspaces', { name: 'again', repositoryUrl })).json
    .id;
  return () => deployAndWait(server, id);
}

it('runs a job that failed again on the next deploy of the same commit, and one that succeeded not', async () => {
  // The job fails until a file outside the repository exists: what a missing database is.
  const ready = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-rerun-')), 'ready');
  const script = `const ok = require('node:fs').existsSync(${JSON.stringify(ready)}); console.log(ok ? 'migrated' : 'no database'); process.exitCode = ok ? 0 : 2;`;
  const repo = createRepo({
    'tasks/migrate/manifest.json': manifest({
      name: 'migrate',
      type: 'job',
      cmd: ['node', '-e', script],
    }),
  });
  const server = await startServer();
  try {
    const deploy = await deployer(server, repo.dir);
    const failed = await deploy();
    expect(failed.done.status).toBe('ERROR');
    expect(failed.log).toContain('[migrate] no database');

    writeFileSync(ready, '');
    const retried = await deploy();
    expect(retried.done.status, retried.log).toBe('COMPLETE');
    expect(retried.log).toContain("job 'migrate' changed (it failed before: run again)");
    expect(retried.log).toContain('[migrate] migrated');

    const again = await deploy();
    expect(again.done.status).toBe('COMPLETE');
    expect(again.done.result.unchanged).toEqual([expect.objectContaining({ name: 'migrate' })]);
    expect(again.log).not.toContain('[migrate]');
    expect(existsSync(ready)).toBe(true);
  } finally {
    await server.stop();
    repo.cleanup();
  }
});

it('on Kubernetes, makes a failed Job anew on the next deploy', async () => {
  const kube: KubeApiServer = await startKubeApiServer();
  const repo = createRepo({
    'tasks/migrate/manifest.json': manifest({
      name: 'migrate',
      type: 'job',
      'image-destination': 'registry.example.com/migrate:1',
      env: [{ name: 'KUBE_FAKE_EXIT_CODE', value: '2' }],
    }),
  });
  const server = await startServer({
    env: { SLIPWAY_RUNTIME: 'kubernetes', KUBECONFIG: kube.kubeconfigPath },
  });
  try {
    const deploy = await deployer(server, repo.dir);
    const uid = () => kube.objects('jobs', 'again')[0]?.metadata.uid;
    expect((await deploy()).done.status).toBe('ERROR');
    const first = uid();
    const retried = await deploy();
    expect(retried.done.status).toBe('ERROR');
    expect(retried.log).toContain("job 'migrate' changed (it failed before: run again)");
    expect(uid()).toBeDefined();
    expect(uid()).not.toBe(first);
  } finally {
    await server.stop();
    await kube.close();
    repo.cleanup();
  }
});
