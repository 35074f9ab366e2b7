import type { JobView } from '../core/jobs/follow-job.js';

/** How a command ended: the outputs, the rows of the job summary, and whether the step fails. */
export interface Outcome {
  jobId: string;
  status: string;
  url: string;
  /** One line (the `summary` output). */
  summary: string;
  /** The rest of the job's message, when it has more lines (a failed task's last lines). */
  details?: string;
  /** Set when the step must fail: why. */
  failure?: string;
  title: string;
  rows: string[][];
}

interface Ref {
  kind?: string;
  name?: string;
}

/**
 * The outcome of a job: success only when it COMPLETEd; the summary line and table rows from
 * its result (a workspace deploy's created, changed and pruned workloads, a task's action, a
 * pipeline's status).
 */
export function jobOutcome(
  job: JobView,
  url: string,
  what: string,
  timedOut: boolean,
  /** What becomes of the job once the step stops waiting at its timeout. */
  afterTimeout = `the job goes on: ${url}`,
): Outcome {
  const result = (job.result ?? {}) as Record<string, unknown>;
  const rows: string[][] = [];
  const seconds = duration(job);
  const took = seconds ? `took ${seconds}` : '';
  for (const action of ['created', 'changed', 'pruned', 'unchanged'] as const) {
    const refs = result[action];
    if (!Array.isArray(refs)) continue;
    for (const ref of refs as Ref[])
      rows.push([
        `${ref.kind ?? ''}`,
        `${ref.name ?? ''}`,
        result.plan ? `would be ${action}` : action,
        took,
      ]);
  }
  if (job.type === 'TASK_DEPLOY' && typeof result.name === 'string') {
    rows.push([
      String(result.kind ?? 'task'),
      result.name,
      String(result.action ?? 'applied'),
      took,
    ]);
  }
  if (job.type === 'PIPELINE_RUN' && typeof result.pipeline === 'string') {
    rows.push(['pipeline', result.pipeline, String(result.status ?? job.status), took]);
  }
  // The message's first line says what happened; the server may add a workload's last lines.
  const [first = '', ...rest] = (job.message ?? '').split(/\r?\n|\r/);
  const outcome: Outcome = {
    jobId: job.id,
    status: job.status,
    url,
    summary: first.trim() || `${what} ${job.status}`,
    title: `${what}: ${job.status}${timedOut ? ', no longer waited for (timeout)' : ''}`,
    rows,
  };
  if (rest.some((line) => line.trim())) outcome.details = rest.join('\n');
  if (timedOut) {
    outcome.failure = `${what} is still ${job.status} after the timeout; ${afterTimeout}`;
  } else if (job.status !== 'COMPLETE') {
    outcome.failure = `${what} ended ${job.status}: ${job.message ?? 'see the log above'}`;
  }
  return outcome;
}

function duration(job: JobView): string {
  if (!job.startTime || !job.endTime) return '';
  return `${((Date.parse(job.endTime) - Date.parse(job.startTime)) / 1000).toFixed(1)} s`;
}
