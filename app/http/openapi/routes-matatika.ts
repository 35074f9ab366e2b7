import { JOB_SORT_FIELDS, WORKSPACE_SORT_FIELDS } from '../../../core/store/types.js';
import { JOB_STATUSES, JOB_TYPES } from '../../../core/types.js';
import {
  createWorkspaceSchema,
  pauseWorkspaceSchema,
  updateWorkspaceSchema,
} from '../../../core/workspaces/index.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../paging.js';
import { pushFieldsSchema } from '../push-payload.js';
import { springError } from './common-schemas.js';
import {
  job,
  jobPage,
  webhookIgnored,
  workspace,
  workspaceDrift,
  workspacePage,
  workspaceResumed,
} from './matatika-schemas.js';
import {
  errorResponses,
  header,
  type ParamSpec,
  query,
  type RouteSpec,
  requestBody,
} from './route-spec.js';

const tags = ['Matatika'];
const errors = (...statuses: number[]) => errorResponses(springError, ...statuses);

requestBody(
  'CreateWorkspace',
  createWorkspaceSchema,
  'Fields of a workspace JSON sent back are ignored.',
);
requestBody('UpdateWorkspace', updateWorkspaceSchema, 'The fields given change; the others stay.');

const paging = (fields: readonly string[]): ParamSpec[] => [
  query('page', 'Page number, from 0', { type: 'integer', minimum: 0, default: 0 }),
  query('size', 'Page size', {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  }),
  query('sort', `\`<field>[,asc|desc]\`, field one of ${fields.join(', ')}`, {
    type: 'string',
    pattern: `^(${fields.join('|')})(,(asc|desc|ASC|DESC))?$`,
  }),
];
const jobFilters = [
  query('status', 'Only jobs with one of these statuses (repeat the parameter for several)', {
    type: 'array',
    items: { type: 'string', enum: [...JOB_STATUSES] },
  }),
  query('type', 'Only jobs of this type', { type: 'string', enum: [...JOB_TYPES] }),
];

/** The Matatika surface (seed 000, DESIGN.md 7.1): workspaces, deployments, jobs and logs. */
export const matatikaRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/api/workspaces',
    operationId: 'createWorkspace',
    summary: 'Create a workspace',
    tags,
    access: 'caller',
    body: { schema: createWorkspaceSchema },
    responses: {
      201: {
        description: 'The workspace, with its deploymentSecret',
        schema: workspace,
        headers: { Location: { description: 'The workspace URL', schema: { type: 'string' } } },
      },
      ...errors(400, 401, 409, 415),
    },
  },
  {
    method: 'get',
    path: '/api/workspaces',
    operationId: 'listWorkspaces',
    summary: 'List workspaces, paged',
    tags,
    access: 'caller',
    params: paging(WORKSPACE_SORT_FIELDS),
    responses: {
      200: { description: 'A page of workspaces', schema: workspacePage },
      ...errors(400, 401),
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{id}',
    operationId: 'getWorkspace',
    summary: 'Get a workspace',
    tags,
    access: 'caller',
    responses: { 200: { description: 'The workspace', schema: workspace }, ...errors(401, 404) },
  },
  {
    method: 'put',
    path: '/api/workspaces/{id}',
    operationId: 'updateWorkspace',
    summary: 'Change a workspace',
    tags,
    access: 'caller',
    body: { schema: updateWorkspaceSchema },
    responses: {
      200: { description: 'The changed workspace', schema: workspace },
      ...errors(400, 401, 403, 404, 409, 415),
    },
  },
  {
    method: 'delete',
    path: '/api/workspaces/{id}',
    operationId: 'deleteWorkspace',
    summary: 'Delete a workspace, its jobs and what it deployed',
    tags,
    access: 'caller',
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  },
  {
    method: 'post',
    path: '/api/workspaces/{id}/deployments',
    operationId: 'deployWorkspace',
    summary: 'Deploy the workspace repository (a QUEUED WORKSPACE_DEPLOY job)',
    tags,
    access: 'caller',
    params: [
      query('plan', 'true: a dry run that applies nothing', { type: 'boolean' }),
      query(
        'commit',
        "Deploy this commit (an earlier one rolls back) instead of the branch head: a full 40-hex commit id. Unless the caller is the workspace's owner or the admin, it must be one of the commits of the workspace's branch (the deploy proves it from the branch's history, and ends ERROR otherwise)",
        { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
      ),
      query(
        'force',
        "true: deploy even while the workspace's deploys are paused (409 otherwise, saying who paused them and why); for who paused them, the workspace's owner and the admin (403 for others). It settles what the pause held so far: the resume deploys nothing more unless something is held after it",
        { type: 'boolean' },
      ),
    ],
    responses: {
      202: { description: 'The queued job', schema: job },
      ...errors(400, 401, 403, 404, 409),
    },
  },
  {
    method: 'put',
    path: '/api/workspaces/{id}/paused',
    operationId: 'pauseWorkspaceDeploys',
    summary: "Pause the workspace's deploys (a Slipway extension)",
    description:
      "A release freeze or an incident: while paused, what comes on its own (a push through the GitHub App or the workspace webhook, a re-run on GitHub, a branch poll) is held: recorded as a STOPPED job whose message says so, reported to GitHub as a skipped check run, and not deployed. Drift is still found, not healed. A deploy asked for by name answers 409 unless `force=true`; plans go on. Deploys still queued are held at once; one running goes on. Any identity may pause a workspace that is not paused; changing a pause (who paused it, and its reason when `reason` is given: null clears it) is for who paused it, the workspace's owner and the admin (403 for others). With `until`, the pause ends by itself within a few seconds of that time, as a resume would. The answer leaves out the deploymentSecret.",
    tags,
    access: 'caller',
    body: { schema: requestBody('PauseWorkspace', pauseWorkspaceSchema), required: false },
    responses: {
      200: { description: 'The workspace, with `paused`', schema: workspace },
      ...errors(400, 401, 403, 404, 415),
    },
  },
  {
    method: 'delete',
    path: '/api/workspaces/{id}/paused',
    operationId: 'resumeWorkspaceDeploys',
    summary: "Resume the workspace's deploys (a Slipway extension)",
    description:
      "Ends the pause: for who paused it, the workspace's owner and the admin (403 for others). When deploys were held during it (and no forced deploy came after them), a deploy of the branch head is queued at once, as the latest of them would have deployed, and embedded as `_embedded.job`. Resuming a workspace that is not paused changes nothing.",
    tags,
    access: 'caller',
    responses: {
      200: { description: 'The workspace, and the deploy queued if any', schema: workspaceResumed },
      ...errors(401, 403, 404, 409),
    },
  },
  {
    method: 'post',
    path: '/api/workspaces/{id}/deployments/github-webhook',
    operationId: 'workspaceGitHubWebhook',
    summary: "GitHub webhook, signed with the workspace's deploymentSecret",
    description:
      'Authenticated by `X-Hub-Signature-256` (or `X-Hub-Signature`) over the raw body, not by a token. The same `X-GitHub-Delivery` again answers the job it created.',
    tags,
    access: 'public',
    params: [
      header('X-Hub-Signature-256', 'sha256=<HMAC-SHA256 of the body>'),
      header('X-Hub-Signature', 'sha1=<HMAC-SHA1 of the body>'),
      header('X-GitHub-Event', '`push` deploys, `ping` answers 200, others are ignored'),
      header('X-GitHub-Delivery', 'Idempotency key of the delivery'),
    ],
    body: {
      schema: requestBody('GitHubPushPayload', pushPayloadSchema()),
      types: ['application/json', 'application/x-www-form-urlencoded'],
      required: false,
    },
    responses: {
      200: {
        description: 'Nothing to deploy (ping, another branch, the workspace being deleted...)',
        schema: webhookIgnored,
      },
      202: {
        description:
          "The queued (or already queued) job; while the workspace's deploys are paused, a STOPPED job whose message says the push was held",
        schema: job,
      },
      ...errors(400, 401, 404),
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{id}/tasks/{task}/logs',
    operationId: 'getTaskLogs',
    summary: 'What a task of the workspace writes now, from the runtime (a Slipway extension)',
    description:
      "Read from the task's workload (its processes, or its pods on Kubernetes), not from a job: the lines the runtime still has, then with `follow=true` each new one as it comes, until the client goes away or the task's run ends. A failure after the answer began is its last line, `(the logs ended: ...)`.",
    tags,
    access: 'caller',
    params: [
      query('follow', 'Keep the answer open and send each new line', {
        type: 'boolean',
        default: false,
      }),
      query('prefix', 'Put `[<pod>] ` before each line', { type: 'boolean', default: false }),
    ],
    responses: {
      200: { description: 'The lines', content: { 'text/plain': { type: 'string' } } },
      ...errors(400, 401, 404),
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{id}/drift',
    operationId: 'getWorkspaceDrift',
    summary: 'Whether the workspace is as its deployed commit has it (a Slipway extension)',
    description:
      "With SLIPWAY_DRIFT_SECONDS set, Slipway compares each deployed workspace with its deployed commit that often (a plan's comparison: a field someone changed, a workload deleted, or one with the workspace's labels that git does not have) and, with SLIPWAY_SELF_HEAL=true, queues a deploy of that commit to put it back. This is what the last check found.",
    tags,
    access: 'caller',
    responses: {
      200: { description: 'The last check', schema: workspaceDrift },
      ...errors(401, 404),
    },
  },
  {
    method: 'post',
    path: '/api/workspaces/{id}/drift',
    operationId: 'checkWorkspaceDrift',
    summary: 'Compare the workspace with its deployed commit now (a Slipway extension)',
    description:
      'A drift check now, between the periodic ones or with none running (then what it found tells for a minute), healing as they do with SLIPWAY_SELF_HEAL=true. 409 says why the workspace cannot be compared now: never deployed, not READY, a deploy of it queued or running, being deleted, or its namespace or repository changed since its last deploy. A repository or cluster out of reach is its own error.',
    tags,
    access: 'caller',
    responses: {
      200: { description: 'What the check found', schema: workspaceDrift },
      ...errors(401, 404, 409),
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{id}/jobs',
    operationId: 'listWorkspaceJobs',
    summary: "A workspace's jobs, newest first, paged",
    tags,
    access: 'caller',
    params: [...paging(JOB_SORT_FIELDS), ...jobFilters],
    responses: {
      200: { description: 'A page of jobs', schema: jobPage },
      ...errors(400, 401, 404),
    },
  },
  {
    method: 'get',
    path: '/api/jobs',
    operationId: 'listJobs',
    summary: 'Every job, newest first, paged',
    tags,
    access: 'caller',
    params: [...paging(JOB_SORT_FIELDS), ...jobFilters],
    responses: { 200: { description: 'A page of jobs', schema: jobPage }, ...errors(400, 401) },
  },
  {
    method: 'get',
    path: '/api/jobs/{id}',
    operationId: 'getJob',
    summary: 'Get a job',
    tags,
    access: 'caller',
    responses: { 200: { description: 'The job', schema: job }, ...errors(401, 404) },
  },
  {
    method: 'delete',
    path: '/api/jobs/{id}',
    operationId: 'deleteJob',
    summary:
      "Delete a job and its log (a QUEUED or RUNNING one is stopped first); a workspace's jobs only by its owner or the admin",
    tags,
    access: 'caller',
    responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) },
  },
  {
    method: 'put',
    path: '/api/jobs/{id}/stopped',
    operationId: 'withdrawJob',
    summary: 'Withdraw a QUEUED or RUNNING job',
    tags,
    access: 'caller',
    responses: { 202: { description: 'The STOPPED job', schema: job }, ...errors(401, 404, 409) },
  },
  {
    method: 'get',
    path: '/api/jobs/{id}/logs',
    operationId: 'getJobLogs',
    summary: 'Log lines from `sequence` on',
    description:
      'text/plain by default; NDJSON (one `LogLine` a line) for `Accept: application/x-ndjson` or `application/stream+json`. `X-Next-Sequence` says where to continue.',
    tags,
    access: 'caller',
    params: [
      query('sequence', 'First line to return', { type: 'integer', minimum: 0, default: 0 }),
      query('limit', 'Most lines to return', { type: 'integer', minimum: 1, maximum: 10_000 }),
      query(
        'wait',
        'Seconds to hold a request that would find no line while the job runs: it answers as soon as a line comes or the job ends',
        { type: 'integer', minimum: 0, maximum: 30, default: 0 },
      ),
    ],
    responses: {
      200: {
        description: 'The lines',
        content: {
          'text/plain': { type: 'string' },
          'application/x-ndjson': { $ref: '#/components/schemas/LogLine' },
          'application/stream+json': { $ref: '#/components/schemas/LogLine' },
        },
        headers: nextSequence(),
      },
      204: {
        description: 'No line at or after `sequence` yet (after `wait` seconds, or the job ended)',
        headers: nextSequence(),
      },
      ...errors(400, 401, 404),
    },
  },
];

function nextSequence() {
  return {
    'X-Next-Sequence': { description: 'The sequence to ask for next', schema: { type: 'integer' } },
  };
}

/** Only `ref`, `after` and `deleted` of a push matter; any other event payload is accepted. */
function pushPayloadSchema() {
  return pushFieldsSchema.describe(
    'A GitHub webhook payload; of a push, `ref`, `after`, `before` and `deleted` are read, each optional',
  );
}
