import { appJson, nodeId } from './github-objects.js';
import type { GitHubState } from './github-state.js';
import { isoTime } from './reply.js';
import type { Annotation, CheckRunInput } from './validate-check-run.js';

/** A check run as stored, with every create/update request body in `history`. */
export interface RecordedCheckRun {
  id: number;
  repository: string;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  details_url: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: {
    title: string | null;
    summary: string | null;
    text: string | null;
    /** Every annotation ever sent, accumulated as GitHub does. */
    annotations: Annotation[];
  };
  history: Array<{ method: string; body: unknown }>;
}

/** Applies a validated create/update body to the stored run (annotations append). */
export function applyCheckRunInput(run: RecordedCheckRun, input: CheckRunInput): void {
  if (input.name !== undefined) run.name = input.name;
  if (input.external_id !== undefined) run.external_id = input.external_id;
  if (input.details_url !== undefined) run.details_url = input.details_url;
  if (input.started_at !== undefined) run.started_at = isoTime(Date.parse(input.started_at));
  if (input.status !== undefined) run.status = input.status;
  if (input.status === 'completed') {
    run.conclusion = input.conclusion ?? run.conclusion;
    run.completed_at = isoTime(input.completed_at ? Date.parse(input.completed_at) : Date.now());
  } else if (input.status !== undefined) {
    run.conclusion = null;
    run.completed_at = null;
  }
  if (input.output) {
    run.output.title = input.output.title;
    run.output.summary = input.output.summary;
    run.output.text = input.output.text;
    run.output.annotations.push(...input.output.annotations);
  }
}

/** The check run as the REST API shows it. */
export function checkRunJson(state: GitHubState, run: RecordedCheckRun) {
  const url = `${state.apiUrl}/repos/${run.repository}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.head_sha,
    node_id: nodeId('CheckRun', run.id),
    external_id: run.external_id ?? '',
    url,
    html_url: `${state.url}/${run.repository}/runs/${run.id}`,
    details_url: run.details_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: state.checkSuites.get(`${run.repository}@${run.head_sha}`) ?? 0 },
    app: appJson(state),
    pull_requests: [],
  };
}
