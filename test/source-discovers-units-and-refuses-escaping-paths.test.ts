import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverUnits, resolveUnitDirectory } from '../core/source/index.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-tree-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('discovering units in a checkout', () => {
  it('finds every manifest.json and pipeline.json, sorted, skipping node_modules and symlinks', async () => {
    const outside = tree({ 'manifest.json': '{}' });
    const root = tree({
      'tasks/b/manifest.json': '{}',
      'tasks/a/manifest.json': '{}',
      'manifest.json': '{}',
      'pipelines/daily/pipeline.json': '{}',
      'node_modules/pkg/manifest.json': '{}',
      'tasks/a/notes.md': '',
    });
    symlinkSync(outside, path.join(root, 'linked'));
    expect(await discoverUnits(root)).toEqual([
      { kind: 'task', directory: '.', file: 'manifest.json' },
      { kind: 'pipeline', directory: 'pipelines/daily', file: 'pipelines/daily/pipeline.json' },
      { kind: 'task', directory: 'tasks/a', file: 'tasks/a/manifest.json' },
      { kind: 'task', directory: 'tasks/b', file: 'tasks/b/manifest.json' },
    ]);
  });
});

describe('resolving a unit directory', () => {
  const outside = tree({ 'secret.txt': 'x' });
  const root = tree({ 'tasks/a/manifest.json': '{}' });
  symlinkSync(outside, path.join(root, 'escape'));
  symlinkSync(path.join(root, 'tasks'), path.join(root, 'inside'));

  it('returns the absolute directory for a relative path, the root for "" and "."', async () => {
    const real = await import('node:fs').then((fs) => fs.realpathSync(root));
    expect(await resolveUnitDirectory(root, 'tasks/a')).toBe(path.join(real, 'tasks/a'));
    expect(await resolveUnitDirectory(root, '')).toBe(real);
    expect(await resolveUnitDirectory(root, '.')).toBe(real);
    expect(await resolveUnitDirectory(root, 'inside/a')).toBe(path.join(real, 'tasks/a'));
  });

  it.each([
    ['../x', 'contains ".."'],
    ['tasks/../../x', 'contains ".."'],
    ['/etc', 'is absolute'],
    ['tasks\\a', 'backslash'],
    ['escape', 'leads outside the repository'],
  ])('refuses %s with PATH_INVALID (%s)', async (directory, why) => {
    await expect(resolveUnitDirectory(root, directory)).rejects.toMatchObject({
      code: 'PATH_INVALID',
      status: 400,
      message: expect.stringContaining(why),
    });
  });

  it('answers NOT_FOUND naming a missing directory', async () => {
    await expect(resolveUnitDirectory(root, 'tasks/zzz', 'demo@abc1234')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "directory 'tasks/zzz' not found in demo@abc1234",
    });
    await expect(resolveUnitDirectory(root, 'tasks/a/manifest.json')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
