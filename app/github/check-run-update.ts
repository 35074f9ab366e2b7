import type { Problem } from '../../core/errors.js';
import type { Job, JobLogLine, JobStatus } from '../../core/types.js';
import { maskSecrets } from './mask-secrets.js';
import { deployedInstead, type GitHubOrigin } from './origin.js';

/**
 * GitHub's limits: 65535 bytes of UTF-8 per output field (its docs say characters, its 422 says
 * "summary exceeds a maximum bytesize of 65535": github/docs#35252), 50 annotations per request,
 * and per annotation a title of 255 characters and a message of 64 KB.
 */
export const MAX_OUTPUT_BYTES = 65_535;
export const ANNOTATIONS_PER_REQUEST = 50;
const MAX_ANNOTATION_TITLE = 255;
const MAX_ANNOTATION_MESSAGE_BYTES = 65_535;
/** How much of a job's message a summary shows: the rest of the room is for the table or list. */
const MAX_MESSAGE_BYTES = 16_384;
/** The lines of the job's log a completed check run shows. */
export const LOG_TAIL_LINES = 80;
const CUT = `cut to fit GitHub's limit of ${MAX_OUTPUT_BYTES} bytes`;

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

/** The title of a held deploy's check run (skipped: the workspace's deploys are paused). */
const HELD_TITLE = 'Not deployed: deploys are paused';

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

/**
 * The body of a check run create or update (each output field within GitHub's byte limit), and
 * the annotations that go with it: the sender sends them 50 per request.
 */
export interface CheckRunUpdate {
  body: {
    status: 'queued' | 'in_progress' | 'completed';
    conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped';
    started_at?: string;
    completed_at?: string;
    output: CheckRunOutput;
  };
  annotations: Annotation[];
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
 * `success`, `failure` or `cancelled` (`skipped` for a deploy a pause held), a title and summary of what was created, changed and
 * pruned and how long it took, the log tail (secrets masked) as `text`, and each invalid
 * manifest as an annotation at its file and line. Each output field fits GitHub's 65535 bytes:
 * a table or list too long loses its last rows, a log tail its first lines, and says so.
 */
export function checkRunUpdate(
  job: Job,
  status: JobStatus,
  origin: GitHubOrigin,
  /**
   * The last `LOG_TAIL_LINES` lines of the job's log (or more: only the last are shown); read
   * only for a completed check run, the one that shows them.
   */
  logs: () => JobLogLine[],
  secrets: readonly string[],
): CheckRunUpdate {
  const what = whatOf(origin, job);
  const jobLine = jobLineOf(job);
  const plan = origin.kind === 'plan';
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
    const head = `${what}: ${title(result, plan).toLowerCase()}.\n\n`;
    const foot = `\n${jobLine}`;
    return plain({
      status: 'completed',
      conclusion: 'success',
      completed_at: completedAt,
      output: fitted({
        title: title(result, plan),
        summary: `${head}${changesTable(result, plan, MAX_OUTPUT_BYTES - byteLength(head + foot))}${foot}`,
        ...(text ? { text } : {}),
      }),
    });
  }
  if (status === 'STOPPED' && job.params.held === true) {
    // Not a deploy that stopped: one the workspace's pause held. Skipped, which fails no
    // required check, and the commit is deployed once the workspace is resumed.
    return plain({
      status: 'completed',
      conclusion: 'skipped',
      completed_at: completedAt,
      output: fitted({
        title: HELD_TITLE,
        summary: `${what} was held: ${messageOf((job.message ?? 'deploys are paused').replace(/^not deployed( \([^)]*\))?: /, ''), secrets)}. ${jobLine}`,
      }),
    });
  }
  if (status === 'STOPPED') {
    const why = messageOf(job.message ?? 'stopped', secrets);
    return plain({
      status: 'completed',
      conclusion: 'cancelled',
      completed_at: completedAt,
      output: fitted({
        title: 'Cancelled',
        summary: `${what} was cancelled: ${why}. ${jobLine}`,
        ...(text ? { text } : {}),
      }),
    });
  }
  const problems = result.problems ?? [];
  const head = `${what} failed: ${messageOf(job.message ?? 'failed', secrets)}\n\n`;
  const foot = `\n\n${jobLine}`;
  const list = linesWithin(
    problems.map((p) => `- ${problemLine(p)}`),
    MAX_OUTPUT_BYTES - byteLength(head + foot),
    'problems',
  );
  return {
    body: {
      status: 'completed',
      conclusion: 'failure',
      completed_at: completedAt,
      output: fitted({
        title: problems.length > 0 ? `${problems.length} invalid manifest problem(s)` : 'Failed',
        summary: `${head}${list}${foot}`,
        ...(text ? { text } : {}),
      }),
    },
    annotations: problems.filter((p) => p.file).map(annotationOf),
  };
}

/**
 * The least a completed check run can say: its conclusion and the job, for when GitHub refused
 * the full report (422). `reason` is GitHub's answer.
 *
 * @example
 * briefOutput(job, 'COMPLETE', origin, 'Validation Failed')
 * // { title: 'Succeeded', summary: 'Deploy of **shop** at `abc1234` succeeded. Slipway job `...`. ...' }
 */
export function briefOutput(
  job: Job,
  status: JobStatus,
  origin: GitHubOrigin,
  reason: string,
): CheckRunOutput {
  const [title, verb] =
    status === 'COMPLETE'
      ? ['Succeeded', 'succeeded']
      : status === 'STOPPED' && job.params.held === true
        ? [HELD_TITLE, 'was held']
        : status === 'STOPPED'
          ? ['Cancelled', 'was cancelled']
          : ['Failed', 'failed'];
  return fitted({
    title,
    summary: `${whatOf(origin, job)} ${verb}. ${jobLineOf(job)} GitHub refused the full report (${headWithin(reason, 500)}): the job's log and result are in Slipway.`,
  });
}

function whatOf(origin: GitHubOrigin, job: Job): string {
  const commit = `\`${origin.headSha.slice(0, 7)}\``;
  const what = `${origin.kind === 'plan' ? 'Plan' : 'Deploy'} of **${origin.environment}** at ${commit}`;
  const deployed = deployedInstead(job, origin);
  if (!deployed) return what;
  return `${what} (it deploys \`${deployed.slice(0, 7)}\`, the head of the branch, instead: GitHub delivered that push first)`;
}

function jobLineOf(job: Job): string {
  return `Slipway job \`${job.id}\`.`;
}

function plain(body: CheckRunUpdate['body']): CheckRunUpdate {
  return { body, annotations: [] };
}

/** The job's message, secrets masked, short enough to leave room for the rest. */
function messageOf(message: string, secrets: readonly string[]): string {
  return clip(maskSecrets(message, secrets), MAX_MESSAGE_BYTES);
}

/** Each field of `output` within GitHub's limit, whatever went into it. */
function fitted(output: CheckRunOutput): CheckRunOutput {
  return {
    ...output,
    title: clip(output.title),
    summary: clip(output.summary),
    ...(output.text !== undefined ? { text: clip(output.text) } : {}),
  };
}

function title(result: DeployResult, plan: boolean): string {
  const n = (list?: unknown[]) => list?.length ?? 0;
  const seconds = ((result.durationMs ?? 0) / 1000).toFixed(1);
  if (plan) {
    return `Would create ${n(result.created)}, change ${n(result.changed)}, prune ${n(result.pruned)}`;
  }
  return `${n(result.created)} created, ${n(result.changed)} changed, ${n(result.pruned)} pruned in ${seconds} s`;
}

/** The table of workloads, in at most `budget` bytes: rows that do not fit are counted instead. */
function changesTable(result: DeployResult, plan: boolean, budget: number): string {
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
  const namespace = result.namespace ? `Namespace \`${clip(result.namespace, 1024)}\`.\n\n` : '';
  const header = `${namespace}| kind | name | |\n|---|---|---|\n`;
  return `${header}${linesWithin(rows, budget - byteLength(header) - 1, 'workloads')}\n`;
}

/**
 * The log tail as a code block. Too long for GitHub, it loses its start, not its end: the end
 * is where a failure shows, and the closing fence must stay.
 */
function logTail(logs: JobLogLine[], secrets: readonly string[]): string {
  const tail = logs.slice(-LOG_TAIL_LINES);
  if (tail.length === 0) return '';
  // Masked before any cut: a cut could leave a secret without the prefix that marks it.
  const lines = maskSecrets(tail.map((l) => l.line).join('\n'), secrets).replace(/```/g, "'''");
  const earlier = (tail[0]?.sequence ?? 0) > 0;
  const block = (header: string, body: string) => `${header}\`\`\`\n${body}\n\`\`\``;
  const whole = block(earlier ? `(last ${tail.length} lines)\n` : '', lines);
  if (byteLength(whole) <= MAX_OUTPUT_BYTES) return whole;
  const header = `(the last ${tail.length} lines, their start ${CUT})\n`;
  let kept = tailWithin(lines, MAX_OUTPUT_BYTES - byteLength(block(header, '')));
  // Start at a line when one starts near the cut.
  const newline = kept.indexOf('\n');
  if (newline >= 0 && newline < 1024) kept = kept.slice(newline + 1);
  return block(header, kept);
}

/** An annotation GitHub takes: lines and columns from 1, title and message within its limits. */
function annotationOf(problem: Problem): Annotation {
  const line = Math.max(1, Math.trunc(problem.line ?? 1));
  const column = problem.column !== undefined ? Math.trunc(problem.column) : 0;
  const title = problem.path ? `invalid ${problem.path}` : 'invalid manifest';
  return {
    path: problem.file as string,
    start_line: line,
    end_line: line,
    ...(column >= 1 ? { start_column: column, end_column: column } : {}),
    annotation_level: 'failure',
    title:
      characters(title, MAX_ANNOTATION_TITLE) === title
        ? title
        : `${characters(title, MAX_ANNOTATION_TITLE - 1)}…`,
    message: clip(problem.message || 'invalid', MAX_ANNOTATION_MESSAGE_BYTES),
  };
}

function problemLine(problem: Problem): string {
  const where = [problem.file, problem.line].filter((p) => p !== undefined).join(':');
  const field = problem.path ? ` \`${problem.path}\`` : '';
  return `${where ? `\`${where}\`` : ''}${field}: ${problem.message}`;
}

/**
 * As many of `lines` as fit in `budget` bytes (joined by newlines), then a line saying how many
 * `what` were left out.
 */
function linesWithin(lines: string[], budget: number, what: string): string {
  const all = lines.join('\n');
  if (byteLength(all) <= budget) return all;
  // Room for the line that counts the rest.
  let room = budget - 160;
  let kept = 0;
  for (const line of lines) {
    room -= byteLength(line) + 1;
    if (room < 0) break;
    kept += 1;
  }
  const shown = lines.slice(0, kept).join('\n');
  const more = `… ${lines.length - kept} more ${what} not shown: ${CUT}.`;
  return kept > 0 ? `${shown}\n\n${more}` : more;
}

/** `text` within `max` bytes of UTF-8: its start, cut at a code point, and a note that it was. */
function clip(text: string, max = MAX_OUTPUT_BYTES): string {
  if (byteLength(text) <= max) return text;
  const note = `\n… (${CUT})`;
  return `${headWithin(text, max - byteLength(note))}${note}`;
}

/** The first `n` characters of `text` (GitHub's limits on titles and descriptions), never half of a pair. */
export function characters(text: string, n: number): string {
  // n code points take at most 2n UTF-16 units: no need to split a long text whole.
  return [...text.slice(0, 2 * n)].slice(0, n).join('');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest start of `text` within `max` bytes of UTF-8, never splitting a character. */
function headWithin(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = Math.max(0, max);
  // A continuation byte (10xxxxxx) at the cut belongs to a character that starts before it.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/** The longest end of `text` within `max` bytes of UTF-8, never splitting a character. */
function tailWithin(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let start = bytes.length - Math.max(0, max);
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString('utf8');
}
