import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway } from './helpers/cli.js';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * `slipway token list --output table` prints the tokens as columns, and a refused token is
 * named by where it came from, so the one to fix is the one the message points at.
 */
describe('the slipway CLI lists tokens as a table and names where a refused token came from', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('prints the tokens as ID, NAME, CREATED and LAST USED columns', async () => {
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    const created = await slipway(['token', 'create', '--name', 'ci'], { env });
    expect(created.code, created.stderr).toBe(0);
    const ci = created.json as { id: string; created: string };
    const used = await slipway(['workspace', 'list'], {
      env: { ...env, SLIPWAY_TOKEN: created.json.token },
    });
    expect(used.code, used.stderr).toBe(0);

    const table = await slipway(['token', 'list', '--output', 'table'], { env });
    expect(table.code, table.stderr).toBe(0);
    const [header, row, footer] = table.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'CREATED', 'LAST USED']);
    const cells = row?.split(/\s{2,}/) ?? [];
    expect(cells.slice(0, 3)).toEqual([ci.id, 'ci', ci.created]);
    expect(cells[3]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(footer).toBe('1 in all');
  });

  it('names --token, SLIPWAY_TOKEN or the admin token file as the source of a refused token', async () => {
    const fromFlag = await slipway(['workspace', 'list', '--token', 'wrong'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken },
    });
    expect(fromFlag.code).toBe(1);
    expect(fromFlag.stderr).toContain('(the token from --token was refused; give a valid one)');

    const fromEnv = await slipway(['workspace', 'list'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: 'wrong' },
    });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(
      '(the token from SLIPWAY_TOKEN was refused; give a valid one)',
    );

    const dataDir = path.join(server.dataDir, 'stale');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'admin-token'), 'stale\n');
    const fromFile = await slipway(['workspace', 'list'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_DATA_DIR: dataDir },
    });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain(
      `(the token from the admin token file ${path.join(dataDir, 'admin-token')} was refused`,
    );

    const none = await slipway(['workspace', 'list'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_DATA_DIR: path.join(dataDir, 'none') },
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('(no token was sent; set SLIPWAY_TOKEN or give --token)');
  });
});
