import type { CommandContext } from './commands.js';
import { UsageError } from './parse-args.js';

const ENDED = ['COMPLETE', 'ERROR', 'STOPPED'];
const POLL_MS = 500;

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
}: CommandContext): Promise<number> {
  const from = options.get('sequence');
  if (from !== undefined && (typeof from !== 'string' || !/^\d+$/.test(from))) {
    throw new UsageError(`--sequence is "${String(from)}"; expected a line number (0 or more)`);
  }
  let sequence = Number(from ?? 0);
  const follow = options.get('follow') === true;
  const path = `/api/jobs/${encodeURIComponent(id ?? '')}`;
  for (;;) {
    // Read the status before the lines: lines written before the job ended are then all seen.
    const status = follow ? String(((await client.request('GET', path)).body as Job).status) : '';
    for (;;) {
      const answer = await client.request('GET', `${path}/logs`, {
        query: { sequence: String(sequence) },
        accept: 'text/plain',
      });
      if (answer.status === 204 || typeof answer.body !== 'string') break;
      print(answer.body.replace(/\n$/, ''));
      sequence = Number(answer.headers.get('x-next-sequence') ?? sequence);
    }
    if (!follow) return 0;
    if (ENDED.includes(status)) {
      const job = (await client.request('GET', path)).body as Job;
      if (job.status === 'COMPLETE') return 0;
      note(`job ${id} ended ${job.status}${job.message ? `: ${job.message}` : ''}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

interface Job {
  status: string;
  message?: string;
}
