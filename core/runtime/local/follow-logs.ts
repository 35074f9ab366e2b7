import { isoTime } from '../../types.js';
import type { LogLine, LogOptions } from '../types.js';
import type { ManagedWorkload } from './managed-workload.js';

/**
 * The output of a workload's current revision, oldest first; with `follow`, then every new line
 * as it comes, and a note of how many lines the buffer no longer held, at the start or where
 * the reader fell behind. A running index into the buffer hands over from the buffered part to the live
 * part, so no line written in between is lost. Following ends when the signal aborts, when the
 * workload is replaced, deleted or the runtime stops, and when the current run ends: a job's
 * run, or for a cron job the run active when following began (an idle cron job ends at once
 * with the output of its past runs). Deployments and services have no end of their own.
 */
export async function* followLogs(
  managed: ManagedWorkload,
  options: LogOptions,
  isCurrent: () => boolean,
): AsyncGenerator<LogLine> {
  const buffer = managed.logs;
  const cronRun =
    managed.workload.kind === 'cronjob'
      ? managed.instances.find((instance) => instance.process !== null)
      : undefined;
  let index = buffer.start;
  if (options.follow && index > 0) {
    // Followed from its start, the output must not seem whole when its beginning is gone (the
    // process wrote more than the buffer holds before the reader came): say how much is missing.
    yield { time: isoTime(Date.now()), line: `(${index} earlier line(s) not kept)`, pod: '' };
  }
  for (;;) {
    if (index < buffer.start) {
      // The reader fell behind by more than the buffer holds: say so rather than skip silently.
      // The count is taken before the note is read: lines dropped while it is are the next one's.
      const lost = buffer.start - index;
      index = buffer.start;
      yield {
        time: isoTime(Date.now()),
        line: `(${lost} line(s) not kept: written faster than read)`,
        pod: '',
      };
      continue;
    }
    const batch = buffer.from(index);
    index = buffer.end;
    for (const line of batch) yield line;
    if (!options.follow || options.signal?.aborted) return;
    if (index < buffer.end) continue;
    if (buffer.closed || !isCurrent()) return;
    if (managed.workload.kind === 'cronjob' && (!cronRun || cronRun.process === null)) return;
    await buffer.wait(options.signal);
  }
}
