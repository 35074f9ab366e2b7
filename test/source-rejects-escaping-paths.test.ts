import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUnitDirectory } from '../core/source/index.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-tree-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('resolving a unit directory inside a checkout', () => {
  const outside = tree({ 'secret/manifest.json': '{}' });
  const root = tree({ 'tasks/a/manifest.json': '{}', 'tasks/b/run.sh': '' });
  const real = realpathSync(root);
  symlinkSync(outside, path.join(root, 'escape'));
  symlinkSync(path.join(outside, 'secret'), path.join(root, 'tasks', 'sneaky'));
  symlinkSync('../tasks', path.join(root, 'tasks', 'loopback'));
  symlinkSync(path.join(root, 'tasks'), path.join(root, 'inside'));
  symlinkSync('loop-b', path.join(root, 'loop-a'));
  symlinkSync('loop-a', path.join(root, 'loop-b'));

  it('returns the absolute directory of a relative path; "" and "." are the root', async () => {
    expect(await resolveUnitDirectory(root, 'tasks/a')).toBe(path.join(real, 'tasks', 'a'));
    expect(await resolveUnitDirectory(root, './tasks/a/')).toBe(path.join(real, 'tasks', 'a'));
    expect(await resolveUnitDirectory(root, '')).toBe(real);
    expect(await resolveUnitDirectory(root, '.')).toBe(real);
  });

  it('follows a symlink that stays inside the checkout', async () => {
    expect(await resolveUnitDirectory(root, 'inside/a')).toBe(path.join(real, 'tasks', 'a'));
    expect(await resolveUnitDirectory(root, 'tasks/loopback/b')).toBe(
      path.join(real, 'tasks', 'b'),
    );
  });

  it.each([
    ['..', 'contains ".."'],
    ['../x', 'contains ".."'],
    ['tasks/../../x', 'contains ".."'],
    ['tasks/a/..', 'contains ".."'],
    ['/etc', 'is absolute'],
    ['tasks\\a', 'contains a backslash'],
    ['tasks\0a', 'contains a NUL byte'],
    ['escape', 'leads outside the repository'],
    ['escape/secret', 'leads outside the repository'],
    ['tasks/sneaky', 'leads outside the repository'],
    ['loop-a', 'is a symlink loop'],
  ])('refuses %j with PATH_INVALID (%s), naming the value', async (directory, why) => {
    const shown = directory.replace('\0', '\\0');
    await expect(resolveUnitDirectory(root, directory)).rejects.toMatchObject({
      code: 'PATH_INVALID',
      status: 400,
      message: `directory "${shown}" ${why}; expected a relative path inside the repository`,
    });
  });

  it('answers NOT_FOUND naming a missing directory and the repository at its commit', async () => {
    await expect(resolveUnitDirectory(root, 'tasks/zzz', 'demo@abc1234')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      message: "directory 'tasks/zzz' not found in demo@abc1234",
    });
    await expect(resolveUnitDirectory(root, 'tasks/a/manifest.json')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "directory 'tasks/a/manifest.json' not found in the repository",
    });
    await expect(resolveUnitDirectory(root, 'tasks/a/manifest.json/x')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
