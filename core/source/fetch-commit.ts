import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isSlipwayError, SlipwayError } from '../errors.js';
import { FETCH_PREFIX } from './clean-leftovers.js';
import { treesFileOf } from './digest.js';

/** What `fetchCommit` needs: where from, what, where to, and a bound git runner. */
export interface FetchCommitOptions {
  url: string;
  /** The repository as messages name it. */
  display: string;
  /** The branch or tag to deepen when the server refuses a bare commit id; null for none. */
  ref: string | null;
  /** Full 40-hex commit id. */
  commit: string;
  /** Final checkout directory; must not exist yet (another fetch may create it meanwhile). */
  target: string;
  /**
   * Runs git in `cwd` with the environment, limits and signal of this fetch. Commands that move
   * data are given `--progress` (with `--quiet` for the rest), so a working git keeps writing
   * and only a stalled one meets the no-progress limit.
   */
  run: (args: string[], cwd?: string) => Promise<string>;
}

// The server would not hand out an object it did not advertise (protocol v0 without
// uploadpack.allowReachableSHA1InWant), or the object is not there at all.
const REFUSED =
  /not our ref|unadvertised object|couldn't find remote ref|no such remote ref|bad object|upload-pack: not our/i;
const DEEPER = [['--depth', '50'], ['--depth', '500'], ['--depth', '5000'], ['--unshallow']];

/**
 * Fetches one commit shallowly and leaves its files, without `.git`, at `target`. The checkout
 * is built in a temp directory next to `target` and renamed into place only once it is whole and
 * its HEAD is verified, so `target` is either complete or absent; that rename is the completion
 * marker. When another fetch wins the race to `target`, its checkout is kept and ours dropped.
 *
 * @example
 * await fetchCommit({ url, display: 'demo', ref: 'main', commit, target, run });
 */
export async function fetchCommit(options: FetchCommitOptions): Promise<void> {
  const { url, display, ref, commit, target, run } = options;
  await inScratchRepository(path.dirname(target), run, async (temp) => {
    try {
      await run(
        ['fetch', '--quiet', '--progress', '--no-tags', '--depth', '1', '--', url, commit],
        temp,
      );
    } catch (error) {
      if (!refused(error)) throw error;
      if (ref === null) {
        throw new SlipwayError('NOT_FOUND', `commit ${commit} not found in ${display}`, {
          cause: error,
        });
      }
      await deepenUntilPresent(options, temp);
    }
    await run(
      [
        '-c',
        'advice.detachedHead=false',
        'checkout',
        '--quiet',
        '--progress',
        '--detach',
        commit,
        '--',
      ],
      temp,
    );
    const head = (await run(['rev-parse', '--verify', 'HEAD^{commit}'], temp)).trim();
    if (head !== commit) {
      throw new SlipwayError(
        'SOURCE_UNAVAILABLE',
        `checked out ${head} from ${display}; expected ${commit}`,
      );
    }
    await writeTrees(run, temp, treesFileOf(target));
    await rm(path.join(temp, '.git'), { recursive: true, force: true });
    try {
      await rename(temp, target);
    } catch (error) {
      // Another fetch of the same commit renamed its checkout first; it is as good as ours.
      if (!existsSync(target)) throw error;
    }
  });
}

/**
 * Runs `work` in a new, empty git repository in `parent` (where the checkouts of its
 * repository go), removed afterwards whatever came of it.
 */
async function inScratchRepository<T>(
  parent: string,
  run: FetchCommitOptions['run'],
  work: (dir: string) => Promise<T>,
): Promise<T> {
  await mkdir(parent, { recursive: true });
  // The pid in the name tells a later Slipway whether the fetch's owner still runs.
  const temp = await mkdtemp(path.join(parent, `${FETCH_PREFIX}${process.pid}-`));
  try {
    await run(['-c', 'init.defaultBranch=slipway', 'init', '--quiet', '--template=', '--', temp]);
    return await work(temp);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Fetches `ref` into `dir` ever deeper (with the `fetchFlags` given) until `found` says so;
 * false once the whole history is here without it.
 */
async function deepenUntil(
  run: FetchCommitOptions['run'],
  dir: string,
  source: { url: string; ref: string; fetchFlags?: string[] },
  found: () => Promise<boolean>,
): Promise<boolean> {
  const { url, ref, fetchFlags = [] } = source;
  for (const depth of DEEPER) {
    await run(
      ['fetch', '--quiet', '--progress', '--no-tags', ...fetchFlags, ...depth, '--', url, ref],
      dir,
    );
    if (await found()) return true;
    if (!existsSync(path.join(dir, '.git', 'shallow'))) break;
  }
  return false;
}

/** Fetches `ref` ever deeper until `commit` is among the objects, or the history runs out. */
async function deepenUntilPresent(options: FetchCommitOptions, dir: string): Promise<void> {
  const { url, display, ref, commit, run } = options;
  const present = async () => {
    try {
      await run(['cat-file', '-e', `${commit}^{commit}`], dir);
      return true;
    } catch (error) {
      if (isSlipwayError(error, 'STOPPED')) throw error;
      return false;
    }
  };
  if (await deepenUntil(run, dir, { url, ref: ref as string }, present)) return;
  throw new SlipwayError('NOT_FOUND', `commit ${commit} not found on '${ref}' of ${display}`);
}

/** What `proveOnBranch` needs: a `FetchCommitOptions` whose `ref` is a full ref name. */
export interface ProveOnBranchOptions extends Omit<FetchCommitOptions, 'target' | 'ref'> {
  /** The full name of the branch (or tag), e.g. `refs/heads/main`. */
  ref: string;
  /** Where the temporary repository goes (a checkout's parent: leftovers are cleared there). */
  parent: string;
}

/**
 * Proves that `commit` is one of the commits of `ref`: fetches the branch's history alone (its
 * commits, no files: `--filter=tree:0` where the server allows it), ever deeper, and looks for
 * the commit among them. A server that hands out any commit by its id (GitHub does, forks'
 * commits included) is never asked for `commit` itself. NOT_FOUND when the whole history is here
 * and the commit is not in it.
 *
 * @example
 * await proveOnBranch({ url, display: 'demo', ref: 'refs/heads/main', commit, parent, run });
 */
export async function proveOnBranch(options: ProveOnBranchOptions): Promise<void> {
  const { url, display, ref, commit, parent, run } = options;
  const found = await inScratchRepository(parent, run, (dir) => {
    // Listed rather than looked up: a lookup of a missing object in a filtered fetch makes git
    // fetch it by its id, which is what this proof must not do.
    const listed = async () =>
      (await run(['rev-list', 'FETCH_HEAD'], dir)).split('\n').includes(commit);
    return deepenUntil(run, dir, { url, ref, fetchFlags: ['--filter=tree:0'] }, listed);
  });
  if (found) return;
  const name = ref.replace(/^refs\/(heads|tags)\//, '');
  throw new SlipwayError(
    'NOT_FOUND',
    `commit ${commit} is not one of the commits of '${name}' of ${display}`,
    { details: { notOnBranch: true } },
  );
}

function refused(error: unknown): boolean {
  if (!isSlipwayError(error) || error.retryable || error.code === 'STOPPED') return false;
  return REFUSED.test(String(error.details.stderr ?? error.message));
}

/**
 * Lists the id of every directory tree of HEAD (`<id> <path>`, the root as `.`, NUL-separated)
 * into `file`, which `digestUnit` reads: written whole before the checkout appears.
 */
async function writeTrees(run: FetchCommitOptions['run'], repo: string, file: string) {
  const root = (await run(['rev-parse', '--verify', 'HEAD^{tree}'], repo)).trim();
  const listing = await run(['ls-tree', '-r', '-d', '-z', '--full-tree', 'HEAD'], repo);
  const entries = [`${root} .`];
  for (const record of listing.split('\0')) {
    // `<mode> tree <id>\t<path>`
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const id = record.slice(0, tab).split(' ')[2];
    entries.push(`${id} ${record.slice(tab + 1)}`);
  }
  // Written in this fetch's own temp directory first: concurrent fetches of the commit (one
  // process may have several sources) each rename a whole file into place.
  const temp = path.join(repo, '.git', 'slipway-trees');
  await writeFile(temp, entries.join('\0'));
  await rename(temp, file);
}
