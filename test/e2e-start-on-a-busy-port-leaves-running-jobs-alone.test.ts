import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo } from './helpers/git.js';
import { ROOT, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe('a start that cannot bind its port', () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  it('stops with one line naming PORT and leaves a RUNNING job its attempts', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-busy-')), 'runs.txt');
    const repo = createRepo(slowJob('slow', marker, 2000));
    const first = await startServer();
    servers.push(first);
    const port = Number(new URL(first.url).port);
    const ws = await first.api('POST', '/api/workspaces', {
      name: 'busy',
      repositoryUrl: repo.dir,
    });
    const deploy = await first.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await slowJobStarted(marker);
    await first.kill();

    // Another program takes the port while Slipway is down; Slipway is started again and again.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      for (let start = 0; start < 3; start++) {
        const result = spawnSync(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? os.tmpdir(),
            PORT: String(port),
            SLIPWAY_DATA_DIR: first.dataDir,
          },
          encoding: 'utf8',
          timeout: 20_000,
        });
        expect(result.status, result.stderr).toBe(1);
        const lines = result.stderr.trim().split('\n');
        expect(lines).toEqual([
          `slipway: PORT ${port} is in use on 127.0.0.1 (another program, or another Slipway, listens there); stop it or set PORT to a free port`,
        ]);
      }
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    // The failed starts did not touch the job: it runs its second attempt and completes.
    const second = await startServer({ dataDir: first.dataDir, env: { PORT: String(port) } });
    servers.push(second);
    const done = await waitForJob(second, deploy.json.id, ['COMPLETE', 'ERROR', 'STOPPED'], 60_000);
    expect(done.status, done.message).toBe('COMPLETE');
    expect(done.attempt).toBe(1);
    repo.cleanup();
  });
});
