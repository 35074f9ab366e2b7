import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_BUNDLE, buildAction } from '../scripts/build-action.js';

describe('the committed Action bundle (action/dist/index.js)', () => {
  it('is what `npm run build:action` makes of the sources now', async () => {
    const fresh = path.join(mkdtempSync(path.join(os.tmpdir(), 'slipway-bundle-')), 'index.js');
    await buildAction(fresh);
    const committed = readFileSync(ACTION_BUNDLE, 'utf8');
    const rebuilt = readFileSync(fresh, 'utf8');
    // A stale bundle ships old code to every workflow: run `npm run build:action` and commit.
    expect(committed.length).toBe(rebuilt.length);
    expect(committed === rebuilt).toBe(true);
  }, 60_000);

  it('carries no native addon and is one ESM file for node24', () => {
    const bundle = readFileSync(ACTION_BUNDLE, 'utf8');
    expect(bundle).not.toMatch(/node_modules\/better-sqlite3/);
    expect(bundle).not.toMatch(/\.node['"]\)/);
    expect(
      bundle.startsWith("import { createRequire as __slipwayRequire } from 'node:module';"),
    ).toBe(true);
    const action = readFileSync(path.join(path.dirname(ACTION_BUNDLE), '../../action.yml'), 'utf8');
    expect(action).toMatch(/using: node24\n\s+main: action\/dist\/index.js/);
  });
});
