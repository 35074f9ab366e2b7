import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

/**
 * The data disk fills while a deploy runs (a chatty task, another program's file): SQLite
 * refuses every write. The server must stay up, serving what it can; the job's log must say
 * where it lost lines; and once there is room again, the job ends as it should. A full disk used
 * to crash the server when the job ended (its end could not be written, and the error went
 * unhandled), leaving every workload unsupervised.
 *
 * A small tmpfs is the data disk; mounting one needs root (CI runs as root).
 */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'slipway-mount-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (mounted.status === 0) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted.status === 0;
})();

let disk: string;
let server: ServerProcess;
let repo: TestRepo;
beforeAll(async () => {
  if (!canMount) return;
  disk = mkdtempSync(path.join(os.tmpdir(), 'slipway-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', disk]);
  mkdirSync(path.join(disk, 'data'));
  // Writes 120 lines of 100 characters every 50 ms for 4 s, then exits 0.
  const talk =
    "let i=0;const t=setInterval(()=>{for(let k=0;k<120;k++)console.log('talk '+(i++)+' '+'x'.repeat(100));if(i>=9600){clearInterval(t)}},50)";
  repo = createRepo({
    'tasks/talk/manifest.json': manifest({ name: 'talk', type: 'job', cmd: ['node', '-e', talk] }),
  });
  server = await startServer({ dataDir: path.join(disk, 'data') });
});
afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
  if (disk) {
    spawnSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  }
});

/** Fills the disk with one file until it has no room left; answers the file. */
function fill(): string {
  const file = path.join(disk, 'fill');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return file;
}

it.skipIf(!canMount)(
  'stays up while the disk is full, marks the lines it lost, and ends the job once there is room',
  async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'full',
      repositoryUrl: repo.dir,
    });
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    await eventually(
      async () => ((await jobLog(server, queued.json.id)).includes('talk 500 ') ? true : undefined),
      'the task to be talking',
    );
    const file = fill();
    // The task talks on, and ends, while nothing can be written.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const health = await request(`${server.url}/healthz`, 'GET');
    expect(health.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    // A request that must write is told why it cannot, not "internal error".
    const refused = await request(
      `${server.url}/api/workspaces/${ws.json.id}/deployments`,
      'POST',
      undefined,
      { authorization: `Bearer ${server.adminToken}` },
    );
    expect(refused.status).toBe(503);
    expect(refused.json.message).toBe(
      "Slipway's data disk is full, so nothing was stored: free space where SLIPWAY_DATA_DIR is, then try again",
    );

    rmSync(file);
    const done = await waitForJob(server, queued.json.id, ['COMPLETE', 'ERROR', 'STOPPED'], 60_000);
    expect(done.status).toBe('COMPLETE');
    const log = await jobLog(server, queued.json.id);
    expect(log).toMatch(/\(\d+ line\(s\) could not be written here: .*full/);
    expect(server.child.exitCode).toBeNull();
  },
  120_000,
);
