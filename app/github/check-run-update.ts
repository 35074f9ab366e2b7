import type { Problem } from '../../core/errors.js';
import type { Job, JobLogLine, JobStatus } from '../../core/types.js';
import { maskSecrets } from './mask-secrets.js';
import type { GitHubOrigin } from './origin.js';

/** GitHub's limits: 65535 characters of summary or text, 50 annotations per request. */
const MAX_TEXT = 65_535;
export const ANNOTATIONS_PER_REQUEST = 50;
const LOG_TAIL_LINES = 80;

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

/** The body of a check run create or update, plus the annotations past the first 50. */
export interface CheckRunUpdate {
  body: {
    status: 'queued' | 'in_progress' | 'completed';
    conclusion?: 'success' | 'failure' | 'cancelled';
    started_at?: string;
    completed_at?: string;
    output: { title: string; summary: string; text?: string; annotations?: Annotation[] };
  };
  moreAnnotations: Annotation[][];
}

interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

interface DeployResult {
  plan?: boolean;
  namespace?: string;
  commit?: string;
  created?: WorkloadRef[];
  changed?: (WorkloadRef & { drift?: string })[];
  unchanged?: WorkloadRef[];
  pruned?: WorkloadRef[];
  durationMs?: number;
  problems?: Problem[];
}

/**
 * What a check run says about a job at `status`: queued, in progress, or completed with
 * `success`, `failure` or `cancelled`, a title and summary of what was created, changed and
 * pruned and how long it took, the log tail (secrets masked) as `text`, and each invalid
 * manifest as an annotation at its file and line.
 */
export function checkRunUpdate(
  job: Job,
  status: JobStatus,
  origin: GitHubOrigin,
  /** The job's log; read only for a completed check run, the one that shows its tail. */
  logs: () => JobLogLine[],
  secrets: readonly string[],
): CheckRunUpdate {
  const plan = origin.kind === 'plan';
  const commit = `\`${origin.headSha.slice(0, 7)}\``;
  const what = `${plan ? 'Plan' : 'Deploy'} of **${origin.environment}** at ${commit}`;
  const jobLine = `Slipway job \`${job.id}\`.`;
  if (status === 'QUEUED') {
    const retry = job.attempt > 0 ? ` (attempt ${job.attempt + 1} of ${job.maxAttempts})` : '';
    return plain({
      status: 'queued',
      output: { title: 'Queued', summary: `${what} is queued${retry}. ${jobLine}` },
    });
  }
  if (status === 'RUNNING') {
    return plain({
      status: 'in_progress',
      ...(job.startTime ? { started_at: job.startTime } : {}),
      output: {
        title: plan ? 'Planning' : 'Deploying',
        summary: `${what} is running. ${jobLine}`,
      },
    });
  }
  const result = (job.result ?? {}) as DeployResult;
  const text = logTail(logs(), secrets);
  const completedAt = job.endTime ?? new Date().toISOString();
  if (status === 'COMPLETE') {
    return plain({
      status: 'completed',
      conclusion: 'success',
      completed_at: completedAt,
      output: {
        title: title(result, plan),
        summary: `${what}: ${title(result, plan).toLowerCase()}.\n\n${changesTable(result, plan)}\n${jobLine}`,
        ...(text ? { text } : {}),
      },
    });
  }
  if (status === 'STOPPED') {
    return plain({
      status: 'completed',
      conclusion: 'cancelled',
      completed_at: completedAt,
      output: {
        title: 'Cancelled',
        summary: `${what} was cancelled: ${maskSecrets(job.message ?? 'stopped', secrets)}. ${jobLine}`,
        ...(text ? { text } : {}),
      },
    });
  }
  const problems = result.problems ?? [];
  const annotations = problems.filter((p) => p.file).map(annotationOf);
  const message = maskSecrets(job.message ?? 'failed', secrets);
  const list = problems.map((p) => `- ${problemLine(p)}`).join('\n');
  return {
    body: {
      status: 'completed',
      conclusion: 'failure',
      completed_at: completedAt,
      output: {
        title: problems.length > 0 ? `${problems.length} invalid manifest problem(s)` : 'Failed',
        summary: clip(`${what} failed: ${message}\n\n${list}\n\n${jobLine}`),
        ...(text ? { text } : {}),
        ...(annotations.length > 0
          ? { annotations: annotations.slice(0, ANNOTATIONS_PER_REQUEST) }
          : {}),
      },
    },
    moreAnnotations: chunks(annotations.slice(ANNOTATIONS_PER_REQUEST), ANNOTATIONS_PER_REQUEST),
  };
}

function plain(body: CheckRunUpdate['body']): CheckRunUpdate {
  return { body, moreAnnotations: [] };
}

function title(result: DeployResult, plan: boolean): string {
  const n = (list?: unknown[]) => list?.length ?? 0;
  const seconds = ((result.durationMs ?? 0) / 1000).toFixed(1);
  if (plan) {
    return `Would create ${n(result.created)}, change ${n(result.changed)}, prune ${n(result.pruned)}`;
  }
  return `${n(result.created)} created, ${n(result.changed)} changed, ${n(result.pruned)} pruned in ${seconds} s`;
}

function changesTable(result: DeployResult, plan: boolean): string {
  const rows: string[] = [];
  const add = (list: (WorkloadRef & { drift?: string })[] | undefined, action: string) => {
    for (const ref of list ?? []) {
      const why = ref.drift ? ` (drifted from git: ${ref.drift.replace(/\|/g, '\\|')})` : '';
      rows.push(`| ${ref.kind} | ${ref.name} | ${action}${why} |`);
    }
  };
  add(result.created, plan ? 'would be created' : 'created');
  add(result.changed, plan ? 'would change' : 'changed');
  add(result.pruned, plan ? 'would be pruned' : 'pruned');
  add(result.unchanged, 'unchanged');
  if (rows.length === 0) return 'Nothing to deploy.\n';
  const namespace = result.namespace ? `Namespace \`${result.namespace}\`.\n\n` : '';
  return clip(`${namespace}| kind | name | |\n|---|---|---|\n${rows.join('\n')}\n`);
}

function logTail(logs: JobLogLine[], secrets: readonly string[]): string {
  if (logs.length === 0) return '';
  const tail = logs.slice(-LOG_TAIL_LINES).map((l) => l.line);
  const skipped = logs.length > LOG_TAIL_LINES ? `(last ${LOG_TAIL_LINES} lines)\n` : '';
  return clip(
    `${skipped}\`\`\`\n${maskSecrets(tail.join('\n'), secrets).replace(/```/g, "'''")}\n\`\`\``,
  );
}

function annotationOf(problem: Problem): Annotation {
  const line = problem.line ?? 1;
  return {
    path: problem.file as string,
    start_line: line,
    end_line: line,
    ...(problem.column !== undefined
      ? { start_column: problem.column, end_column: problem.column }
      : {}),
    annotation_level: 'failure',
    title: problem.path ? `invalid ${problem.path}` : 'invalid manifest',
    message: problem.message,
  };
}

function problemLine(problem: Problem): string {
  const where = [problem.file, problem.line].filter((p) => p !== undefined).join(':');
  const field = problem.path ? ` \`${problem.path}\`` : '';
  return `${where ? `\`${where}\`` : ''}${field}: ${problem.message}`;
}

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 20)}\n… (truncated)`;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
