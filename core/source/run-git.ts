import { spawn } from 'node:child_process';
import { type ErrorCode, SlipwayError } from '../errors.js';
import { redact } from './repository.js';

/** How to run git: which binary, with what environment, for how long. */
export interface GitCommand {
  /** The git binary (default `git`). */
  git: string;
  /** The whole environment git sees. */
  env: Record<string, string | undefined>;
  /** Overall cap on one command, however much it still talks. */
  timeoutMs: number;
  /**
   * No-progress limit: git is stopped when it has written nothing to stdout or stderr for this
   * long (commands that move data run with `--progress`, so a working fetch keeps talking).
   * Default: no limit beyond `timeoutMs`.
   */
  stallMs?: number;
  /** The repository as messages name it (credentials already removed). */
  display: string;
  /** Values never to show in a message (tokens), besides URL credentials. */
  secrets: readonly string[];
  cwd?: string;
  signal?: AbortSignal;
}

// Failures another attempt may cure: DNS, TCP, TLS, and 5xx or 429 from an http server. curl
// words a refused or unreachable port "Failed to connect to <host> port <n> after <t> ms:
// Couldn't connect to server" (7.88 and later) or "...: Connection refused" (earlier).
const TRANSIENT = new RegExp(
  [
    'could not resolve (host|proxy)',
    'temporary failure in name resolution',
    'connection (reset|refused|timed out)',
    'operation timed out',
    'network is unreachable',
    'no route to host',
    'failed to connect to',
    "couldn't connect to server",
    'empty reply from server',
    '(recv|send) failure',
    'failure when receiving data',
    'transfer closed with',
    'was not closed cleanly',
    'broken pipe',
    'early eof',
    'remote end hung up unexpectedly',
    'rpc failed; (curl|http (5\\d\\d|429))',
    'returned error: (5\\d\\d|429)',
    'gnutls_handshake',
    'gnutls recv error',
    'ssl_(read|write|connect)',
    'ssl_error_syscall',
    'unexpected disconnect',
  ].join('|'),
  'i',
);
const MISSING =
  /does not appear to be a git repository|repository not found|repository '[^']*' not found|returned error: 404/i;
const MAX_OUTPUT = 16 * 1024 * 1024;

/** Whether git's stderr tells of a failure another attempt may cure (network, 5xx, 429). */
export function isTransientGitFailure(stderr: string): boolean {
  return TRANSIENT.test(stderr);
}

/**
 * Runs one git command without a shell and returns its stdout. A failure is a SlipwayError whose
 * message holds git's stderr (credentials and secrets removed): NOT_FOUND when the repository is
 * not there, retryable SOURCE_UNAVAILABLE for network trouble and timeouts, STOPPED when
 * `signal` aborts it, SOURCE_UNAVAILABLE otherwise. `details.stderr` keeps the redacted text.
 *
 * @example
 * await runGit(['ls-remote', '--', url, 'refs/heads/main'], command)
 */
export function runGit(args: string[], command: GitCommand): Promise<string> {
  const { signal, display } = command;
  const what = `git ${subcommand(args)} of ${display}`;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SlipwayError('STOPPED', `${what} was stopped`, { cause: signal.reason }));
      return;
    }
    // Its own process group: a timeout or an abort kills git with the helpers it started
    // (upload-pack, remote-https, ssh), and ssh finds no terminal to ask a password on.
    const child = spawn(command.git, args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let ended: 'timeout' | 'stall' | 'abort' | null = null;
    const kill = (why: 'timeout' | 'stall' | 'abort') => {
      ended ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => kill('timeout'), command.timeoutMs);
    const { stallMs } = command;
    let stall = stallMs === undefined ? undefined : setTimeout(() => kill('stall'), stallMs);
    const onAbort = () => kill('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (stall) stall.refresh();
      size += chunk.length;
      if (size <= MAX_OUTPUT) into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    let settled = false;
    const settle = (error: Error | null, code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(stall);
      stall = undefined;
      signal?.removeEventListener('abort', onAbort);
      if (!error && code === 0 && !ended) return resolve(Buffer.concat(stdout).toString('utf8'));
      const text = redact(
        error ? error.message : withoutProgress(lastOf(Buffer.concat(stderr).toString('utf8'))),
        command.secrets,
      );
      if (ended === 'abort') {
        return reject(
          new SlipwayError('STOPPED', `${what} was stopped`, { cause: signal?.reason }),
        );
      }
      if (ended === 'stall') {
        return reject(
          new SlipwayError(
            'SOURCE_UNAVAILABLE',
            `${what} made no progress for ${seconds(stallMs ?? 0)} (no output from git); stopped it`,
            { retryable: true, details: { stderr: text.trim() } },
          ),
        );
      }
      if (ended === 'timeout') {
        return reject(
          new SlipwayError(
            'SOURCE_UNAVAILABLE',
            `${what} timed out after ${seconds(command.timeoutMs)}`,
            {
              retryable: true,
              details: { stderr: text.trim() },
              hint: 'git was still making progress: that is the overall limit of one git command',
            },
          ),
        );
      }
      const detail = summarize(text) || `exit code ${code}`;
      const code_: ErrorCode = MISSING.test(text) ? 'NOT_FOUND' : 'SOURCE_UNAVAILABLE';
      reject(
        new SlipwayError(code_, `${what} failed: ${detail}`, {
          retryable: code_ === 'SOURCE_UNAVAILABLE' && isTransientGitFailure(text),
          details: { stderr: text.trim() },
        }),
      );
    };
    child.once('error', (error) => settle(error, null));
    child.once('close', (code) => settle(null, code));
  });
}

/** The git subcommand of `args`, past `-c name=value` options. */
function subcommand(args: string[]): string {
  let i = 0;
  while (args[i] === '-c') i += 2;
  return args[i] ?? '';
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

// What `--progress` writes: "Receiving objects:  42% (420/1000)", "remote: Counting objects: 5,
// done.", "Resolving deltas: ...", "Updating files: ...", "Total 5 (delta 0)...".
const PROGRESS =
  /^(remote: )?((Enumerating|Counting|Compressing|Receiving|Resolving|Unpacking|Checking|Updating|Filtering) [a-z ]+: |Total \d+ \(delta)/;

/** Git's stderr without its progress meter (lines redrawn with `\r`, and their final state). */
export function withoutProgress(stderr: string): string {
  return stderr
    .split(/\r?\n/)
    .map((line) => line.split('\r').at(-1) ?? '')
    .filter((line) => !PROGRESS.test(line.trim()))
    .join('\n');
}

/** The lines of git's stderr that say what went wrong, on one line. */
function summarize(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const telling = lines.filter((line) => /^(fatal|error|remote|ssh):/i.test(line));
  return (telling.length > 0 ? telling.slice(0, 3) : lines.slice(-3)).join(' ');
}

/** Characters of git's error output that a failure quotes, from its end. */
const STDERR_TAIL = 64 * 1024;

/**
 * The last lines of git's error output, at most {@link STDERR_TAIL} characters, cut at a line's
 * start: a server's error body can fill it with megabytes, and a credential cut in two would no
 * longer be found by `redact`.
 */
function lastOf(stderr: string): string {
  if (stderr.length <= STDERR_TAIL) return stderr;
  const tail = stderr.slice(-STDERR_TAIL);
  const start = tail.indexOf('\n');
  return `(earlier output left out)\n${start < 0 ? '' : tail.slice(start + 1)}`;
}
