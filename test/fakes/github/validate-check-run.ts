import { validationFailed } from './github-error.js';

export const CHECK_STATUSES = ['queued', 'in_progress', 'completed'] as const;
export const CHECK_CONCLUSIONS = [
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'stale',
  'timed_out',
] as const;
const ANNOTATION_LEVELS = ['notice', 'warning', 'failure'];
/** GitHub counts `summary` and `text` in UTF-8 bytes, not characters (github/docs#35252). */
const MAX_BYTES = 65535;
const MAX_ANNOTATIONS = 50;

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column: number | null;
  end_column: number | null;
  annotation_level: string;
  title: string | null;
  message: string;
  raw_details: string | null;
}

/** A create or update body as the check runs API accepts it (fields absent stay undefined). */
export interface CheckRunInput {
  name?: string;
  head_sha?: string;
  status?: (typeof CHECK_STATUSES)[number];
  conclusion?: (typeof CHECK_CONCLUSIONS)[number];
  started_at?: string;
  completed_at?: string;
  external_id?: string;
  details_url?: string;
  output?: { title: string; summary: string; text: string | null; annotations: Annotation[] };
}

const invalid = (field: string, message?: string) =>
  validationFailed('CheckRun', field, 'invalid', message);
const missing = (field: string) => validationFailed('CheckRun', field, 'missing_field');

/**
 * GitHub's answer to an over-long output field: code `custom` and the field's bare name, e.g.
 * `{"resource":"CheckRun","code":"custom","field":"summary","message":"summary exceeds a
 * maximum bytesize of 65535"}` (github/docs#35252, dorny/test-reporter#57).
 */
function withinBytes(field: 'summary' | 'text', value: string): void {
  if (Buffer.byteLength(value, 'utf8') > MAX_BYTES)
    throw validationFailed(
      'CheckRun',
      field,
      'custom',
      `${field} exceeds a maximum bytesize of ${MAX_BYTES}`,
    );
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field);
  return value;
}

function timestamp(body: Record<string, unknown>, field: string): string | undefined {
  const value = optionalString(body, field);
  if (value !== undefined && Number.isNaN(Date.parse(value))) throw invalid(field);
  return value;
}

function annotation(value: unknown, index: number): Annotation {
  const field = (name: string) => `output.annotations[${index}].${name}`;
  if (typeof value !== 'object' || value === null) throw invalid(`output.annotations[${index}]`);
  const a = value as Record<string, unknown>;
  for (const name of ['path', 'start_line', 'end_line', 'annotation_level', 'message'])
    if (a[name] === undefined || a[name] === null || a[name] === '') throw missing(field(name));
  if (typeof a.path !== 'string') throw invalid(field('path'));
  if (typeof a.message !== 'string') throw invalid(field('message'));
  for (const name of ['start_line', 'end_line', 'start_column', 'end_column'])
    if (a[name] !== undefined && a[name] !== null && !Number.isInteger(a[name]))
      throw invalid(field(name));
  if (!ANNOTATION_LEVELS.includes(String(a.annotation_level)))
    throw invalid(field('annotation_level'));
  const hasColumns = a.start_column != null || a.end_column != null;
  if (hasColumns && a.start_line !== a.end_line)
    throw invalid(
      field('start_column'),
      'start_column and end_column may only be given when start_line and end_line are the same',
    );
  return {
    path: a.path,
    start_line: a.start_line as number,
    end_line: a.end_line as number,
    start_column: (a.start_column as number | undefined) ?? null,
    end_column: (a.end_column as number | undefined) ?? null,
    annotation_level: String(a.annotation_level),
    title: typeof a.title === 'string' ? a.title : null,
    message: a.message,
    raw_details: typeof a.raw_details === 'string' ? a.raw_details : null,
  };
}

function output(value: unknown): CheckRunInput['output'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('output');
  const o = value as Record<string, unknown>;
  if (typeof o.title !== 'string' || o.title === '') throw missing('output.title');
  if (typeof o.summary !== 'string' || o.summary === '') throw missing('output.summary');
  withinBytes('summary', o.summary);
  const text = optionalString(o, 'text') ?? null;
  if (text !== null) withinBytes('text', text);
  const list = o.annotations ?? [];
  if (!Array.isArray(list)) throw invalid('output.annotations');
  if (list.length > MAX_ANNOTATIONS)
    throw invalid('output.annotations', `at most ${MAX_ANNOTATIONS} annotations per request`);
  return { title: o.title, summary: o.summary, text, annotations: list.map(annotation) };
}

/**
 * Checks a check run body as GitHub does, throwing 422 Validation Failed naming the first bad
 * field. `name` and `head_sha` (40 hex) are required when creating; `conclusion` is required
 * with status `completed` or a `completed_at`, and a conclusion alone makes the run completed.
 */
export function validateCheckRun(body: Record<string, unknown>, creating: boolean): CheckRunInput {
  const name = optionalString(body, 'name');
  if (creating && !name) throw missing('name');
  const headSha = creating ? optionalString(body, 'head_sha') : undefined;
  if (creating && !headSha) throw missing('head_sha');
  if (headSha !== undefined && !/^[0-9a-f]{40}$/i.test(headSha)) throw invalid('head_sha');
  const status = optionalString(body, 'status');
  if (status !== undefined && !(CHECK_STATUSES as readonly string[]).includes(status))
    throw invalid('status');
  const conclusion = optionalString(body, 'conclusion');
  // `stale` is a conclusion only GitHub gives (to a run left incomplete too long).
  if (
    conclusion !== undefined &&
    (!(CHECK_CONCLUSIONS as readonly string[]).includes(conclusion) || conclusion === 'stale')
  )
    throw invalid('conclusion');
  const completedAt = timestamp(body, 'completed_at');
  if ((status === 'completed' || completedAt !== undefined) && conclusion === undefined)
    throw missing('conclusion');
  return {
    name,
    head_sha: headSha?.toLowerCase(),
    status: (conclusion !== undefined ? 'completed' : status) as CheckRunInput['status'],
    conclusion: conclusion as CheckRunInput['conclusion'],
    started_at: timestamp(body, 'started_at'),
    completed_at: completedAt,
    external_id: optionalString(body, 'external_id'),
    details_url: optionalString(body, 'details_url'),
    output: output(body.output),
  };
}
