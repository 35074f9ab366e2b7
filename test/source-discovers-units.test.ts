import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverUnits } from '../core/source/index.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-tree-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('discovering units in a checkout', () => {
  it('finds every manifest.json and pipeline.json, sorted by file path', async () => {
    const root = tree({
      'tasks/b/manifest.json': '{}',
      'tasks/a/manifest.json': '{}',
      'manifest.json': '{}',
      'pipelines/daily/pipeline.json': '{}',
      'tasks/a/deep/er/manifest.json': '{}',
      'tasks/a/notes.md': '',
      'tasks/c/manifest.json.bak': '{}',
    });
    expect(await discoverUnits(root)).toEqual([
      { kind: 'task', directory: '.', file: 'manifest.json' },
      { kind: 'pipeline', directory: 'pipelines/daily', file: 'pipelines/daily/pipeline.json' },
      { kind: 'task', directory: 'tasks/a/deep/er', file: 'tasks/a/deep/er/manifest.json' },
      { kind: 'task', directory: 'tasks/a', file: 'tasks/a/manifest.json' },
      { kind: 'task', directory: 'tasks/b', file: 'tasks/b/manifest.json' },
    ]);
  });

  it('skips .git and node_modules, never walks into a symlinked directory, and marks a symlinked unit file', async () => {
    const outside = tree({ 'manifest.json': '{}', 'sub/pipeline.json': '{}' });
    const root = tree({
      '.git/manifest.json': '{}',
      'node_modules/pkg/manifest.json': '{}',
      'app/node_modules/dep/pipeline.json': '{}',
      'app/manifest.json': '{}',
    });
    symlinkSync(outside, path.join(root, 'linked-dir'));
    symlinkSync(path.join(outside, 'manifest.json'), path.join(root, 'manifest.json'));
    expect(await discoverUnits(root)).toEqual([
      { kind: 'task', directory: 'app', file: 'app/manifest.json' },
      { kind: 'task', directory: '.', file: 'manifest.json', symlink: true },
    ]);
  });

  it('finds nothing in a checkout without units', async () => {
    expect(await discoverUnits(tree({ 'README.md': '# hi' }))).toEqual([]);
  });
});
