import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGitSource } from '../core/source/index.js';
import type { SourceFetcher } from '../core/source/types.js';
import { createRepo, git } from './helpers/git.js';

function temp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('fetching a repository at a ref', () => {
  let source: SourceFetcher;
  let reposDir: string;

  beforeEach(() => {
    reposDir = temp('slipway-repos-');
    source = createGitSource({
      cacheDir: temp('slipway-cache-'),
      reposDir,
      env: { PATH: process.env.PATH },
    });
  });

  it('checks out the head of a branch from a path, as plain files without .git', async () => {
    const repo = createRepo({ 'a.txt': 'one' });
    const checkout = await source.fetch(repo.dir, 'main');
    expect(checkout.commit).toBe(repo.head());
    expect(readFileSync(path.join(checkout.dir, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(path.join(checkout.dir, '.git'))).toBe(false);
  });

  it('resolves file:// URLs and bare names in SLIPWAY_REPOS_DIR', async () => {
    const byUrl = createRepo({ 'u.txt': 'url' });
    expect((await source.fetch(pathToFileURL(byUrl.dir).href, 'main')).commit).toBe(byUrl.head());
    const named = createRepo({ 'n.txt': 'named' }, { dir: path.join(reposDir, 'named') });
    const checkout = await source.fetch('named', 'main');
    expect(checkout.commit).toBe(named.head());
    expect(readFileSync(path.join(checkout.dir, 'n.txt'), 'utf8')).toBe('named');
  });

  it('fetches a tag (lightweight or annotated) and an exact older commit', async () => {
    const repo = createRepo({ 'v.txt': '1' });
    const first = repo.head();
    git(repo.dir, 'tag', 'light');
    git(
      repo.dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'tag',
      '-a',
      'annotated',
      '-m',
      'release',
    );
    repo.commit({ 'v.txt': '2' });
    expect((await source.fetch(repo.dir, 'light')).commit).toBe(first);
    expect((await source.fetch(repo.dir, 'annotated')).commit).toBe(first);
    const old = await source.fetch(repo.dir, 'main', { commit: first });
    expect(old.commit).toBe(first);
    expect(readFileSync(path.join(old.dir, 'v.txt'), 'utf8')).toBe('1');
    const head = await source.fetch(repo.dir, 'main');
    expect(readFileSync(path.join(head.dir, 'v.txt'), 'utf8')).toBe('2');
    expect(head.dir).not.toBe(old.dir);
  });

  it('serves a fetched commit from the cache without reaching the repository again', async () => {
    const repo = createRepo({ 'c.txt': 'cached' });
    const commit = repo.head();
    const first = await source.fetch(repo.dir, 'main');
    renameSync(repo.dir, `${repo.dir}-moved`);
    const again = await source.fetch(repo.dir, 'main', { commit });
    expect(again.dir).toBe(first.dir);
  });

  it('gives two concurrent fetches of one commit the same complete checkout', async () => {
    const repo = createRepo({ 'x.txt': 'x' });
    const [a, b] = await Promise.all([
      source.fetch(repo.dir, 'main'),
      source.fetch(repo.dir, 'main'),
    ]);
    expect(a.dir).toBe(b.dir);
    expect(readFileSync(path.join(a.dir, 'x.txt'), 'utf8')).toBe('x');
  });

  it('says which branch, repository or value is wrong', async () => {
    const repo = createRepo({ 'x.txt': 'x' });
    await expect(source.fetch(repo.dir, 'nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `branch 'nope' not found in ${repo.dir}`,
    });
    await expect(source.fetch('missing-repo', 'main')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining("repository 'missing-repo' not found in"),
    });
    for (const bad of ['', '   ', '--upload-pack=touch /tmp/pwned', 'a b', 'x/y/z']) {
      await expect(source.fetch(bad, 'main')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(source.fetch('acme/api', 'main')).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      message: expect.stringContaining('GitHub App'),
    });
    await expect(source.fetch(repo.dir, 'main', { commit: 'abc' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(
      source.fetch(path.join(os.tmpdir(), 'slipway-no-such-repo'), 'main'),
    ).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: false });
  });

  it('never shows credentials of a URL in its errors', async () => {
    const failing = source.fetch('https://user:s3cr3t-token@127.0.0.1:1/repo.git', 'main');
    await expect(failing).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    const message = await failing.catch((error: Error) => error.message);
    expect(message).not.toContain('s3cr3t-token');
  });
});
