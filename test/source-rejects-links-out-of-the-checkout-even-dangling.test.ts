import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUnitDirectory } from '../core/source/index.js';
import { resolveUnitFile } from '../core/source/paths.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'slipway-tree-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('links out of a checkout are refused, files and dangling links too', () => {
  const outside = tree({ 'manifest.json': '{"secret":true}' });
  const root = tree({ 'tasks/a/manifest.json': '{}', 'tasks/b/other.json': '{}' });
  const real = realpathSync(root);
  mkdirSync(path.join(root, 'tasks', 'lnk'));
  symlinkSync(
    path.join(outside, 'manifest.json'),
    path.join(root, 'tasks', 'lnk', 'manifest.json'),
  );
  symlinkSync('../a/manifest.json', path.join(root, 'tasks', 'b', 'manifest.json'));
  symlinkSync(path.join(outside, 'missing'), path.join(root, 'tasks', 'gone'));
  // A chain: inside first, then out to nothing.
  symlinkSync('gone', path.join(root, 'tasks', 'via'));
  symlinkSync('nowhere', path.join(root, 'tasks', 'dangling-inside'));
  symlinkSync('../../../../../../../../../../tmp/../..', path.join(root, 'tasks', 'up'));

  it('resolves a unit file inside, also through a link that stays inside', async () => {
    expect(await resolveUnitFile(root, 'tasks/a/manifest.json')).toBe(
      path.join(real, 'tasks', 'a', 'manifest.json'),
    );
    expect(await resolveUnitFile(root, 'tasks/b/manifest.json')).toBe(
      path.join(real, 'tasks', 'a', 'manifest.json'),
    );
  });

  it('refuses a unit file that links outside with PATH_INVALID naming it', async () => {
    await expect(resolveUnitFile(root, 'tasks/lnk/manifest.json')).rejects.toMatchObject({
      code: 'PATH_INVALID',
      status: 400,
      message:
        'file "tasks/lnk/manifest.json" leads outside the repository; expected a file inside the repository',
    });
  });

  it('answers NOT_FOUND for a unit file that is missing or a directory', async () => {
    await expect(resolveUnitFile(root, 'tasks/c/manifest.json', 'demo@abc')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'tasks/c/manifest.json not found in demo@abc',
    });
    await expect(resolveUnitFile(root, 'tasks/a')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each(['tasks/gone', 'tasks/gone/deeper', 'tasks/via', 'tasks/up'])(
    'refuses %j, a link out to a missing place, with PATH_INVALID',
    async (directory) => {
      await expect(resolveUnitDirectory(root, directory)).rejects.toMatchObject({
        code: 'PATH_INVALID',
        message: `directory "${directory}" leads outside the repository; expected a relative path inside the repository`,
      });
    },
  );

  it('still answers NOT_FOUND for a link that dangles inside the checkout', async () => {
    await expect(resolveUnitDirectory(root, 'tasks/dangling-inside')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
