import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlipwayError } from '../errors.js';

/** Where git fetches a repository from, and how to name it in messages. */
export interface ResolvedRepository {
  /** What git is given: a URL (`file://` for local paths, so shallow fetches work). */
  url: string;
  /** The repository as the caller named it, credentials removed: for logs and errors. */
  display: string;
  /** `owner/name` when it is a GitHub repository; `url` is then its canonical clone URL. */
  github?: string;
  /** The directory of a path or bare name; `requireLocalRepository` checks it is there. */
  local?: { dir: string; notFound: string };
}

const URL_SCHEMES = /^(https?|ssh|git|file):\/\//i;
// `user@host:path`, the scp-like form git takes for ssh. The host must not start with `-`, or ssh
// would read it as an option (CVE-2017-1000117).
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*:[^\s]+$/;
const BARE_NAME = /^(?!\.\.?$)[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const GITHUB_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*\/(?!\.\.?$)[A-Za-z0-9._-]+$/;

/**
 * A repository named by its directory in the repositories directory: `demo`, not `.`, `..`,
 * `-x`, a path or a URL. What a caller of the REST API may name, so that it never makes the server
 * read outside that directory or connect to a host of its choosing.
 */
export function isRepositoryName(value: string): boolean {
  return BARE_NAME.test(value);
}

/** `owner/name` of a GitHub repository. */
export function isGitHubName(value: string): boolean {
  return GITHUB_NAME.test(value);
}

/** The forms a repository may take, for error messages. */
export const ACCEPTED_FORMS =
  'a git URL (https://, http://, ssh://, git@host:path, file://), an absolute, ./ or ../ path, a repository name in the repositories directory, or owner/name on GitHub';

/**
 * Resolves how a repository is named (DESIGN.md section 6) to what git fetches. URLs are used as
 * they are; paths become `file://` URLs; a bare name is `<reposDir>/<name>`; `owner/name` is
 * marked as a GitHub repository for the caller to authenticate. It touches no file: a cached
 * commit stays servable after its origin is gone (see `requireLocalRepository`).
 *
 * @example
 * resolveRepository('demo', '/srv/repos')     // { url: 'file:///srv/repos/demo', display: 'demo', local }
 * resolveRepository('acme/api', '/srv/repos') // { github: 'acme/api', ... }
 * resolveRepository('--upload-pack=x', '/')   // throws BAD_REQUEST
 */
export function resolveRepository(repository: string, reposDir: string): ResolvedRepository {
  const value = repository.trim();
  const invalid = () =>
    new SlipwayError(
      'BAD_REQUEST',
      `repository "${redact(repository)}" is not valid; expected ${ACCEPTED_FORMS}`,
    );
  // A leading `-` would reach git as an option (`--upload-pack=...`); whitespace and control
  // characters belong in no repository name we accept.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (!value || value.startsWith('-') || /[\s\u0000-\u001f\u007f]/.test(value)) throw invalid();
  if (URL_SCHEMES.test(value)) {
    const host = value.replace(URL_SCHEMES, '').replace(/^[^/@]*@/, '');
    if (host.startsWith('-')) throw invalid();
    return { url: value, display: redact(value) };
  }
  if (SCP_LIKE.test(value)) return { url: value, display: value };
  if (path.isAbsolute(value) || value.startsWith('./') || value.startsWith('../')) {
    const dir = path.resolve(value);
    const notFound = `repository '${value}' not found: no such directory`;
    return { url: pathToFileURL(dir).href, display: value, local: { dir, notFound } };
  }
  if (isRepositoryName(value)) {
    const dir = path.join(reposDir, value);
    const notFound = `repository '${value}' not found in ${reposDir}`;
    return { url: pathToFileURL(dir).href, display: value, local: { dir, notFound } };
  }
  if (isGitHubName(value)) {
    return { url: `https://github.com/${value}.git`, display: value, github: value };
  }
  throw invalid();
}

/**
 * Throws NOT_FOUND when a path or bare name does not exist, e.g.
 * `repository 'x' not found in /srv/repos`. URLs and GitHub names pass (git will tell).
 */
export function requireLocalRepository(resolved: ResolvedRepository): void {
  if (resolved.local && !existsSync(resolved.local.dir)) {
    throw new SlipwayError('NOT_FOUND', resolved.local.notFound);
  }
}

/** Query parameters that carry a credential, and their values (to the next `&`, `#` or space). */
const SECRET_QUERY =
  /([?&](?:access_token|private_token|token|password|passwd|pwd|secret|api_key|apikey|key|auth|sig|signature)=)[^&#\s'"]+/gi;

/**
 * Removes credentials from every URL in a text (its user part, and
 * query parameters such as `access_token`), and every given secret wherever it appears.
 *
 * @example
 * redact('https://x-access-token:ghs_abc@github.com/a/b.git') // 'https://***@github.com/a/b.git'
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  // Any user part of an http(s) URL may be a token (`https://TOKEN@host`); elsewhere only a
  // password is (`ssh://git@host` names a user, nothing secret).
  // A scheme starts after a character that is no letter, and is at most 32 characters long:
  // otherwise a long run of letters (a server's error body in git's output) would be scanned
  // from each of its letters to its end, in time that grows with the square of its length.
  // The user part runs to the last `@` before the path: a password may hold an `@` itself.
  let result = !text.includes('://')
    ? text
    : text.replace(
        /(?<![a-z])([a-z][a-z0-9+.-]{0,31}:\/\/)([^/\s]+)@/gi,
        (all, scheme: string, user: string) =>
          /^https?:/i.test(scheme) || user.includes(':') ? `${scheme}***@` : all,
      );
  // A token may travel in a URL's query instead (`?access_token=...`).
  result = result.replace(SECRET_QUERY, '$1***');
  for (const secret of secrets) if (secret) result = result.split(secret).join('***');
  return result;
}
