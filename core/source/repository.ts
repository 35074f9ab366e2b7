import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlipwayError } from '../errors.js';

/** Where git fetches a repository from, and how to name it in messages. */
export interface ResolvedRepository {
  /** What git is given: a URL (file:// for local paths, so shallow fetches work). */
  url: string;
  /** The URL with any credentials removed, for logs and errors. */
  display: string;
  /** `owner/name` when it is a GitHub repository. */
  github?: string;
}

const URL_SCHEMES = /^(https?|ssh|git|file):\/\//i;
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
const BARE_NAME = /^[A-Za-z0-9._-]+$/;
const GITHUB_NAME = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

export const ACCEPTED_FORMS =
  'a git URL (https://, ssh://, git@host:path, file://), an absolute or ./relative path, a repository name in SLIPWAY_REPOS_DIR, or owner/name on GitHub';

/**
 * Resolves how a repository is named (DESIGN.md section 6) to what git fetches.
 *
 * @example
 * resolveRepository('demo', '/srv/repos')        // { url: 'file:///srv/repos/demo', ... }
 * resolveRepository('acme/api', '/srv/repos')    // { github: 'acme/api', ... }
 */
export function resolveRepository(repository: string, reposDir: string): ResolvedRepository {
  const value = repository.trim();
  if (!value || value.startsWith('-') || /[\s\0]/.test(value)) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `repository "${repository}" is not valid; expected ${ACCEPTED_FORMS}`,
    );
  }
  if (URL_SCHEMES.test(value)) return { url: value, display: redact(value) };
  if (SCP_LIKE.test(value)) return { url: value, display: value };
  if (path.isAbsolute(value) || value.startsWith('./') || value.startsWith('../')) {
    const absolute = path.resolve(value);
    return { url: pathToFileURL(absolute).href, display: absolute };
  }
  if (BARE_NAME.test(value) && value !== '.' && value !== '..') {
    const dir = path.join(reposDir, value);
    if (!existsSync(dir)) {
      throw new SlipwayError(
        'NOT_FOUND',
        `repository '${value}' not found in ${reposDir} (SLIPWAY_REPOS_DIR)`,
      );
    }
    return { url: pathToFileURL(dir).href, display: value };
  }
  if (GITHUB_NAME.test(value))
    return { url: `https://github.com/${value}.git`, display: value, github: value };
  throw new SlipwayError(
    'BAD_REQUEST',
    `repository "${repository}" is not valid; expected ${ACCEPTED_FORMS}`,
  );
}

/** Removes credentials from URLs in a text (`https://user:token@host` -> `https://***@host`). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
