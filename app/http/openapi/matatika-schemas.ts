import { z } from 'zod';
import { JOB_STATUSES, JOB_TYPES, WORKSPACE_STATUSES } from '../../../core/types.js';
import { count, isoTime } from './common-schemas.js';
import { responseBody } from './route-spec.js';

const href = z.object({ href: z.url() });
const typedLink = z.object({ href: z.url(), type: z.enum(['GET', 'POST', 'PUT', 'DELETE']) });

/** `jobJson` of app/http/matatika.ts. */
export const job = responseBody(
  'Job',
  z.object({
    id: z.string(),
    created: isoTime,
    type: z.enum(JOB_TYPES),
    maxAttempts: z.number().int().min(1),
    attempt: count,
    status: z.enum(JOB_STATUSES),
    startTime: isoTime.optional(),
    endTime: isoTime.optional(),
    exitCode: z.number().int().optional(),
    commitId: z.string().optional(),
    message: z.string().optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    _links: z.object({
      self: href,
      'delete job': typedLink,
      logs: typedLink,
      'withdraw job': typedLink.optional().describe('only while QUEUED or RUNNING'),
      workspace: typedLink.optional().describe('the workspace a WORKSPACE_DEPLOY deploys'),
    }),
  }),
  'A job with HAL links (seed 000): the seed fields, then what a started or finished job has.',
);

/** `workspaceJson` of app/http/matatika.ts. */
export const workspace = responseBody(
  'Workspace',
  z.object({
    id: z.string(),
    created: isoTime,
    lastModified: isoTime,
    name: z.string(),
    alias: z.string(),
    repositoryUrl: z.string(),
    branch: z.string(),
    namespace: z.string(),
    status: z.enum(WORKSPACE_STATUSES),
    timeoutSeconds: z.number().int(),
    deploymentSecret: z.string().optional().describe('only for its owner and the admin'),
    lastDeployment: z
      .object({ jobId: z.string(), commitId: z.string().nullable(), time: isoTime.nullable() })
      .nullable(),
    paused: z
      .object({
        by: z.string().nullable(),
        since: isoTime,
        reason: z.string().nullable(),
        until: isoTime.nullable().describe('when it ends by itself, as a resume would'),
        held: z.number().int().describe('deploys held since it was paused'),
        lastHeld: z
          .object({ jobId: z.string(), commitId: z.string().nullable(), time: isoTime })
          .nullable(),
      })
      .nullable()
      .describe('null unless its deploys are paused (PUT .../paused); a Slipway extension'),
    previews: z
      .boolean()
      .describe(
        'whether pull requests against its branch get preview workspaces; a Slipway extension',
      ),
    previewLabel: z
      .string()
      .nullable()
      .describe(
        'with previews: the GitHub label a pull request needs for one (null: every pull request); a Slipway extension',
      ),
    preview: z
      .object({
        of: z.string().describe('the workspace whose pull request it previews'),
        pullRequest: z.number().int(),
        repository: z.string().describe('owner/name, lowercase'),
        created: isoTime,
        closed: isoTime.nullable().describe('when its pull request closed: it is being removed'),
      })
      .nullable()
      .describe('null unless it is the preview of a pull request; a Slipway extension'),
    _links: z.object({
      self: href,
      'update workspace': typedLink,
      'delete workspace': typedLink,
      'deploy workspace': typedLink,
      'github webhook': typedLink,
      jobs: typedLink,
      drift: typedLink,
      'pause deploys': typedLink.optional().describe('while not paused'),
      'resume deploys': typedLink.optional().describe('while paused'),
      'preview of': href.optional().describe('the workspace it is a preview for'),
    }),
  }),
  'A workspace: a repository and branch deployed into a namespace.',
);

/** `driftJson` of app/http/matatika.ts. */
export const workspaceDrift = responseBody(
  'WorkspaceDrift',
  z.object({
    workspaceId: z.string(),
    status: z
      .enum(['IN_SYNC', 'DRIFTED', 'UNKNOWN'])
      .describe(
        'UNKNOWN: never checked; or a deploy was queued since the last check, the workspace is not READY, its namespace or repository changed since its last deploy, or the last check is older than three intervals and a minute',
      ),
    checkEverySeconds: z
      .number()
      .int()
      .nullable()
      .describe('SLIPWAY_DRIFT_SECONDS; null when drift is not checked'),
    selfHeal: z.boolean().describe('whether drift found is deployed back (SLIPWAY_SELF_HEAL)'),
    commitId: z.string().nullable().describe('the deployed commit the last check compared with'),
    checked: isoTime.nullable(),
    drifted: z
      .array(z.string())
      .describe(
        'a sentence for each workload not as git has it, e.g. "deployment \'web\': Deployment web: spec.replicas is 0, git says 2"',
      ),
    since: isoTime.nullable().describe('since when it has drifted, while it does'),
    heals: count.describe('deploys queued to put drift back, ever'),
    _links: z.object({
      self: href,
      workspace: typedLink,
      'last heal': typedLink.optional().describe('the last deploy queued to put drift back'),
    }),
  }),
  "What the last drift check found of a workspace's workloads (a Slipway extension).",
);

const page = z.object({
  size: z.number().int().min(1),
  totalElements: count,
  totalPages: count,
  number: count,
});

/** A page's links: itself as asked (filters and sort kept) and its neighbours where they are. */
const pageLinks = z.object({
  first: href.optional(),
  prev: href.optional(),
  self: href,
  next: href.optional(),
  last: href.optional(),
});

export const workspacePage = responseBody(
  'WorkspacePage',
  z.object({
    _embedded: z.object({ workspaces: z.array(workspace) }),
    _links: pageLinks,
    page,
  }),
);

export const jobPage = responseBody(
  'JobPage',
  z.object({ _embedded: z.object({ jobs: z.array(job) }), _links: pageLinks, page }),
);

/** What the workspace webhook answers when it queues nothing. */
export const webhookIgnored = responseBody(
  'WebhookIgnored',
  z.object({ message: z.string(), workspace: z.string().optional() }),
  '`ping` (with the workspace id), another event, a push to another branch, a deleted branch.',
);

/** One line of `GET /api/jobs/{id}/logs` as NDJSON. */
export const logLine = responseBody(
  'LogLine',
  z.object({ sequence: count, time: isoTime, line: z.string() }),
  'One NDJSON line of a job log.',
);

/** What `DELETE /api/workspaces/{id}/paused` answers. */
export const workspaceResumed = responseBody(
  'WorkspaceResumed',
  workspace.extend({
    _embedded: z
      .object({ job })
      .optional()
      .describe('the deploy of the branch head queued because deploys were held during the pause'),
  }),
  'The workspace, no longer paused, and the deploy its resume queued, if any.',
);
