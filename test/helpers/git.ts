import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Slipway Test',
  GIT_AUTHOR_EMAIL: 'test@slipway.dev',
  GIT_COMMITTER_NAME: 'Slipway Test',
  GIT_COMMITTER_EMAIL: 'test@slipway.dev',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/** A real git repository in a temp dir, with helpers to commit files to it. */
export interface TestRepo {
  dir: string;
  branch: string;
  /** Writes the files (null deletes one), commits them, returns the new commit id. */
  commit(files: Record<string, string | null>, message?: string): string;
  head(): string;
  cleanup(): void;
}

/**
 * Creates a repository at `dir` (or a new temp dir) with one commit of `files`.
 *
 * @example
 * const repo = createRepo({ 'tasks/hello/manifest.json': JSON.stringify(manifest) });
 */
export function createRepo(
  files: Record<string, string>,
  options: { dir?: string; branch?: string } = {},
): TestRepo {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'slipway-repo-'));
  const branch = options.branch ?? 'main';
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', `--initial-branch=${branch}`);
  const repo: TestRepo = {
    dir,
    branch,
    commit(changes, message = 'change') {
      for (const [file, content] of Object.entries(changes)) {
        const full = path.join(dir, file);
        if (content === null) rmSync(full, { recursive: true, force: true });
        else {
          mkdirSync(path.dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git(dir, 'add', '--all');
      git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
      return repo.head();
    },
    head: () => git(dir, 'rev-parse', 'HEAD'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  repo.commit(files, 'initial');
  return repo;
}

/** A `manifest.json` body (pretty-printed, as people write them). */
export function manifest(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields, null, 2)}\n`;
}
