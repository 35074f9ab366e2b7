import { execFileSync } from 'node:child_process';

const FULL_SHA = /^[0-9a-f]{40}$/i;

function revParse(dir: string, spec: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${spec}^{commit}`], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit a ref names, as GitHub resolves refs in its API: a branch, a tag, `refs/...`, or a
 * commit SHA. Without a git directory only a full 40-hex SHA resolves (to itself).
 */
export function resolveCommit(dir: string | undefined, ref: string): string | undefined {
  if (!dir) return FULL_SHA.test(ref) ? ref.toLowerCase() : undefined;
  if (!ref || ref.startsWith('-') || ref.includes('..')) return undefined;
  const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  if (/^[0-9a-f]{7,40}$/i.test(ref)) candidates.push(ref);
  for (const candidate of candidates) {
    const sha = revParse(dir, candidate);
    if (sha) return sha;
  }
  return undefined;
}

/** The branch HEAD points at in the served repository ('main' when unknown). */
export function defaultBranch(dir: string | undefined): string {
  if (!dir) return 'main';
  try {
    return execFileSync('git', ['symbolic-ref', '--short', 'HEAD'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'main';
  }
}
