import {
  followJob,
  type JobSource,
  type JobView,
  readLogs,
  restJobSource,
} from '../../core/jobs/index.js';
import { type ApiClient, waitOutRestarts } from './api-client.js';
import { type CommandContext, stringFlag, timeoutMs } from './command.js';
import { UsageError } from './parse-args.js';

/**
 * `slipway jobs logs`: prints a job's log lines from `--sequence` on. With `--follow` it keeps
 * reading until the job has ended and every line is out, then exits 0 when the job completed and 1
 * when it failed or was withdrawn, so a script can wait on a deploy.
 */
export async function followJobLogs({
  client,
  id,
  options,
  print,
  note,
  goesOn,
}: CommandContext): Promise<number> {
  const from = stringFlag(options, 'sequence');
  if (from !== undefined && !/^\d+$/.test(from)) {
    throw new UsageError(`--sequence is "${from}"; expected a line number (0 or more)`);
  }
  const jobId = id ?? '';
  const first = Number(from ?? 0);
  if (options.get('follow') !== true) {
    await readLogs(jobSource(client), jobId, first, print);
    return 0;
  }
  return followToEnd(client, jobId, { print, note, goesOn }, { from: first });
}

/**
 * Prints a job's log from line `from` as it grows until the job ends: 0 when it completed, 1 when
 * it failed or was withdrawn (its status and message on stderr), and 1 when `timeoutMs` passes
 * first (the job goes on on the server).
 */
export async function followToEnd(
  client: ApiClient,
  id: string,
  { print, note, goesOn }: Pick<CommandContext, 'print' | 'note' | 'goesOn'>,
  options: { from?: number; timeoutMs?: number; answeredBefore?: boolean } = {},
): Promise<number> {
  const sink = { info: print, startGroup: () => {}, endGroup: () => {} };
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  let status: string | undefined;
  const carriesOn = (after: string) =>
    `job ${id} ${status ? `is still ${status}${after}` : `could not be read${after}`}; it goes on ` +
    `on the server ("slipway jobs withdraw --id ${id}" stops it)`;
  goesOn(carriesOn(''));
  const following = followJob(
    jobSource(client, (job) => {
      status = job.status;
      goesOn(carriesOn(''));
    }),
    id,
    sink,
    {
      timeoutMs,
      pollMs: 500,
      from: options.from ?? 0,
      ...waitOutRestarts(note, `following job ${id}`),
      answeredBefore: options.answeredBefore === true,
    },
  );
  // followJob looks at its deadline between requests; a server that stopped answering in the
  // middle of one must not hold the wait past --timeout.
  const endsAt = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timedOut'>((resolve) => {
    // setTimeout takes at most 2^31-1 ms (about 24 days); a longer wait has no timer to cut at.
    if (timeoutMs < 2 ** 31) timer = setTimeout(() => resolve('timedOut'), timeoutMs);
  });
  let outcome: Awaited<typeof following> | 'timedOut';
  try {
    outcome = await Promise.race([
      // A follower that gives up at its own deadline before the job was read counts as one.
      following.catch((error: unknown) => {
        if (Date.now() >= endsAt) return 'timedOut' as const;
        throw error;
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === 'timedOut' || outcome.timedOut) {
    // The requests still in flight are dropped once the command returns; so is their failure.
    following.catch(() => {});
    note(carriesOn(` after ${timeoutMs / 1000} s`));
    return 1;
  }
  const { job } = outcome;
  if (job.status === 'COMPLETE') return 0;
  note(`job ${id} ended ${job.status}${job.message ? `: ${job.message}` : ''}`);
  return 1;
}

/** The server's view of a job and its log. */
function jobSource(client: ApiClient, seen: (job: JobView) => void = () => {}): JobSource {
  const source = restJobSource((path, accept) => client.request('GET', path, { accept }));
  return {
    ...source,
    async job(...args: Parameters<JobSource['job']>) {
      const job = await source.job(...args);
      seen(job);
      return job;
    },
  };
}

/** The flags of a command that queues a job and can wait for it. */
export const WAIT_OPTIONS = {
  wait: "print the job's log as it grows until the job ends (exit 1 unless it completes)",
  timeout: 'with --wait, give up waiting after this many seconds (the job goes on)',
};

/**
 * Reads `--wait` and `--timeout` before anything is queued, so that a wrong flag queues
 * nothing: `undefined` without `--wait`, else how long to wait.
 */
export function waitFlags(
  options: Map<string, string | boolean>,
): { timeoutMs?: number } | undefined {
  if (options.get('wait') !== true) {
    if (options.has('timeout')) {
      throw new UsageError('--timeout is how long --wait waits; give --wait too');
    }
    return undefined;
  }
  return options.has('timeout') ? { timeoutMs: timeoutMs(options, 0) } : {};
}

/**
 * A job just queued: printed as JSON and exit 0; with `wait` (from {@link waitFlags}), its log
 * followed to the end under the heading `what`.
 */
export async function printOrFollow(
  context: Pick<CommandContext, 'client' | 'print' | 'printResult' | 'note' | 'goesOn'>,
  job: { id: string },
  what: string,
  wait: { timeoutMs?: number } | undefined,
): Promise<number> {
  if (!wait) {
    context.printResult(job);
    return 0;
  }
  context.note(`${what}: job ${job.id}`);
  // The server has just answered: from here on, no answer is an outage to wait out.
  return followToEnd(context.client, job.id, context, { ...wait, answeredBefore: true });
}
