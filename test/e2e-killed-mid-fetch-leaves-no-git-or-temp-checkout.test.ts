import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo } from './helpers/git.js';
import { eventually, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/** The pids of running processes whose command line is `args` exactly (not zombies). */
function processesRunning(args: string): number[] {
  return execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...rest]) => stat && !stat.startsWith('Z') && rest.join(' ') === args)
    .map(([pid]) => Number(pid));
}

/** The `.fetch-*` directories in a data directory's checkout cache. */
function fetchDirs(dataDir: string): string[] {
  const cache = path.join(dataDir, 'checkouts');
  if (!existsSync(cache)) return [];
  return readdirSync(cache, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(path.join(cache, entry.name)).filter((name) => name.startsWith('.fetch-')),
    );
}

describe('a server killed with SIGKILL while git fetches', () => {
  const servers: ServerProcess[] = [];
  const nap = `sleep ${300 + Math.random().toFixed(3).slice(1)}`;
  afterAll(async () => {
    for (const server of servers) await server.stop();
    // Should the test fail, the hung "git" it made does not outlive it.
    for (const pid of processesRunning(nap)) process.kill(pid, 'SIGKILL');
  });

  it('has the next start kill the git it left and remove its temp checkout, then deploy', async () => {
    // A git whose fetch hangs (a huge repository on a slow line), for the first server only.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'slipway-slow-git-'));
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\nif [ "$1" = fetch ]; then ${nap}; fi\nexec ${realGit} "$@"\n`,
    );
    chmodSync(path.join(bin, 'git'), 0o755);
    const repo = createRepo(helloJob('hello'));
    const first = await startServer({
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    servers.push(first);
    const ws = await first.api('POST', '/api/workspaces', { name: 'big', repositoryUrl: repo.dir });
    const job = (await first.api('POST', `/api/workspaces/${ws.json.id}/deployments`)).json;
    await eventually(() => fetchDirs(first.dataDir).length > 0 || undefined, 'a fetch to start');
    await eventually(() => processesRunning(nap).length > 0 || undefined, 'git to fetch');
    await first.kill();
    // What SIGKILL leaves: git fetching on, and its temp directory.
    expect(processesRunning(nap)).toHaveLength(1);
    expect(fetchDirs(first.dataDir)).toHaveLength(1);

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    const done = await waitForJob(second, job.id, ['COMPLETE', 'ERROR', 'STOPPED'], 60_000);
    expect(done.status, done.message).toBe('COMPLETE');
    expect(processesRunning(nap)).toEqual([]);
    expect(fetchDirs(second.dataDir)).toEqual([]);
    const logs = second.output.join('\n');
    expect(logs).toContain('killed git processes left fetching by a previous Slipway');
  }, 120_000);
});
