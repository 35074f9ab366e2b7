import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/server.js';

/**
 * The real server started under umask 022, as most shells have it; resolves once it listens.
 * `logged` collects what it printed.
 */
function startUnderUmask022(dataDir: string, logged: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'sh',
    ['-c', 'umask 022 && exec "$0" --import tsx app/main.ts', process.execPath],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        PORT: '0',
        SLIPWAY_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      logged.push(chunk.toString());
      if (output.includes('Slipway listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
}

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('files holding secrets are private to the user running Slipway', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('creates the data directory 0700 and the database, its WAL and the admin token 0600', async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-private-')), 'a', 'data');
    child = await startUnderUmask022(dataDir);
    expect(modeOf(dataDir)).toBe('700');
    for (const name of ['slipway.db', 'slipway.db-wal', 'slipway.db-shm', 'admin-token']) {
      expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, '600']);
    }
  });

  it('rewrites an unusable admin-token file left readable by everyone as 0600', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-private-'));
    mkdirSync(dataDir, { recursive: true });
    const tokenFile = path.join(dataDir, 'admin-token');
    writeFileSync(tokenFile, 'stale\n');
    chmodSync(tokenFile, 0o644);
    child = await startUnderUmask022(dataDir);
    expect(readFileSync(tokenFile, 'utf8')).toMatch(/^slw_[A-Za-z0-9_-]{43}\n$/);
    expect(modeOf(tokenFile)).toBe('600');
  });

  it('makes private a database and admin token an older Slipway left 0644, and warns of an open data directory', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-private-'));
    chmodSync(dataDir, 0o755);
    const tokenFile = path.join(dataDir, 'admin-token');
    const token = 'slw_kept-token-0123456789abcdef';
    writeFileSync(tokenFile, `${token}\n`);
    chmodSync(tokenFile, 0o644);
    writeFileSync(path.join(dataDir, 'slipway.db'), '');
    chmodSync(path.join(dataDir, 'slipway.db'), 0o644);
    const logged: string[] = [];
    child = await startUnderUmask022(dataDir, logged);
    expect(readFileSync(tokenFile, 'utf8')).toBe(`${token}\n`);
    for (const name of ['slipway.db', 'slipway.db-wal', 'admin-token']) {
      expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, '600']);
    }
    const log = logged.join('');
    expect(log).toContain(`"file":"${tokenFile}"`);
    expect(log).toContain('made a file others could read private (mode 600)');
    // The directory itself is the user's to decide: told, not changed.
    expect(modeOf(dataDir)).toBe('755');
    expect(log).toContain(
      `SLIPWAY_DATA_DIR ${dataDir} can be read by other users (mode 755), and its checkouts hold the deployed repositories' files`,
    );
  });
});
