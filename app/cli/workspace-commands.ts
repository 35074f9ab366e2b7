import { isCommitId } from '../../core/source/index.js';
import { type ApiClient, ApiError } from './api-client.js';
import { type Command, type CommandContext, call, stringFlag } from './command.js';
import { printOrFollow, WAIT_OPTIONS, waitFlags } from './follow-job-logs.js';
import { UsageError } from './parse-args.js';

const WORKSPACE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIST_PAGE = 1000;
const ID_HELP = "the workspace's id or name";

/**
 * The id of the workspace `nameOrId` stands for: itself when it has the shape of an id, else
 * the id of the workspace of that name (the REST API addresses workspaces by id only).
 */
export async function workspaceId(client: ApiClient, nameOrId: string): Promise<string> {
  if (WORKSPACE_ID.test(nameOrId)) return nameOrId;
  // A name is one workspace's; an alias (the name as a Kubernetes name) may be several's.
  const byAlias: Array<{ id: string; name: string }> = [];
  for (let page = 0; ; page += 1) {
    const { body } = await client.request('GET', '/api/workspaces', {
      query: { page: String(page), size: String(LIST_PAGE), sort: 'name' },
    });
    const list = body as {
      _embedded?: { workspaces?: Array<{ id: string; name: string; alias: string }> };
      page?: { totalPages?: number };
    };
    const workspaces = list._embedded?.workspaces ?? [];
    const found = workspaces.find((ws) => ws.name === nameOrId);
    if (found) return found.id;
    byAlias.push(...workspaces.filter((ws) => ws.alias === nameOrId));
    if (page + 1 >= (list.page?.totalPages ?? 0)) break;
  }
  const [only, ...others] = byAlias;
  if (only && others.length === 0) return only.id;
  if (only) {
    const names = byAlias.map((ws) => `"${ws.name}"`).join(', ');
    throw new UsageError(`"${nameOrId}" is the alias of workspaces ${names}; give a name or id`);
  }
  throw new ApiError(
    404,
    `no workspace is named "${nameOrId}" on ${client.url}; "slipway workspace list" lists them`,
    undefined,
  );
}

/** `call`, with `--id` (an id or a name) resolved to the workspace's id first. */
function onWorkspace(method: string, path: (id: string) => string): Command['run'] {
  return async (context) => {
    const id = await workspaceId(context.client, context.id ?? '');
    return call(method, () => path(encodeURIComponent(id)))(context);
  };
}

/**
 * `slipway workspace logs`: what a task of the workspace writes now, from the runtime; with
 * `--follow`, each new line as it comes, until Ctrl-C or the end of the task's run.
 */
async function workspaceLogs(context: CommandContext): Promise<number> {
  const { client, options } = context;
  const task = stringFlag(options, 'task');
  if (!task) {
    throw new UsageError('--task is missing: the task whose output to print (its manifest name)');
  }
  const id = await workspaceId(client, context.id ?? '');
  let partial = '';
  let last = '';
  await client.stream(
    `/api/workspaces/${encodeURIComponent(id)}/tasks/${encodeURIComponent(task)}/logs`,
    {
      ...(options.get('follow') === true ? { follow: 'true' } : {}),
      ...(options.get('prefix') === true ? { prefix: 'true' } : {}),
    },
    async (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        context.print(line);
        last = line;
      }
      await context.drained();
    },
  );
  if (partial) context.print(partial);
  // The server ends an answer it could not finish with a line saying why.
  return /^\(the logs ended: /.test(partial || last) ? 1 : 0;
}

/**
 * `slipway workspace deploy`: queues a deploy (or, with `--plan`, a dry run) and prints the job.
 * With `--wait` it prints the job's log as it grows instead, and exits 0 when the deploy
 * completed, 1 when it failed, was withdrawn or outlived `--timeout`.
 */
async function deployWorkspace(context: CommandContext): Promise<number> {
  const { client, options } = context;
  const wait = waitFlags(options);
  const plan = options.get('plan') === true;
  const force = options.get('force') === true;
  const commit = stringFlag(options, 'commit');
  if (commit !== undefined && !isCommitId(commit)) {
    throw new UsageError(
      `--commit is "${commit}"; expected a full commit id (40 hex characters, as git rev-parse prints it)`,
    );
  }
  const id = await workspaceId(client, context.id ?? '');
  const { body } = await client.request(
    'POST',
    `/api/workspaces/${encodeURIComponent(id)}/deployments`,
    {
      query: {
        ...(plan ? { plan: 'true' } : {}),
        ...(commit ? { commit } : {}),
        ...(force ? { force: 'true' } : {}),
      },
    },
  );
  const at = commit ? ` at ${commit.slice(0, 12)}` : '';
  const what = `${plan ? 'plan' : 'deploy'} of workspace ${context.id}${at}`;
  return printOrFollow(context, body as { id: string }, what, wait);
}

/** `slipway workspace pause`: holds what would deploy on its own, refuses deploys by name. */
async function pauseWorkspace(context: CommandContext): Promise<number> {
  const reason = stringFlag(context.options, 'reason');
  const until = stringFlag(context.options, 'until');
  const id = await workspaceId(context.client, context.id ?? '');
  const { body } = await context.client.request(
    'PUT',
    `/api/workspaces/${encodeURIComponent(id)}/paused`,
    {
      body: {
        ...(reason === undefined ? {} : { reason }),
        ...(until === undefined ? {} : { until }),
      },
    },
  );
  context.printResult(body);
  return 0;
}

/**
 * `slipway workspace resume`: ends the pause. When it queued a deploy of the branch head (deploys
 * were held), `--wait` follows it as `workspace deploy --wait` does.
 */
async function resumeWorkspace(context: CommandContext): Promise<number> {
  const wait = waitFlags(context.options);
  const id = await workspaceId(context.client, context.id ?? '');
  const { body } = await context.client.request(
    'DELETE',
    `/api/workspaces/${encodeURIComponent(id)}/paused`,
  );
  const job = (body as { _embedded?: { job?: { id: string } } })._embedded?.job;
  if (!wait) {
    context.printResult(body);
    return 0;
  }
  if (!job) {
    context.note(`workspace ${context.id} resumed: no deploy was held, nothing to deploy`);
    return 0;
  }
  return printOrFollow(
    context,
    job,
    `workspace ${context.id} resumed: deploy of the branch head`,
    wait,
  );
}

/** The workspace commands: Matatika's workspaces, their deploys and their jobs. */
export const WORKSPACE_COMMANDS: Command[] = [
  {
    resource: 'workspace',
    action: 'create',
    summary: 'create a workspace: a repository and branch deployed to a namespace',
    body: 'required',
    example: `slipway workspace create --body '{"name": "shop", "repositoryUrl": "https://github.com/acme/shop.git"}'`,
    run: call('POST', () => '/api/workspaces'),
  },
  {
    resource: 'workspace',
    action: 'read',
    summary: 'show one workspace, with its deploymentSecret and last deployment',
    id: 'required',
    idHelp: ID_HELP,
    example: 'slipway workspace read --id shop',
    run: onWorkspace('GET', (id) => `/api/workspaces/${id}`),
  },
  {
    resource: 'workspace',
    action: 'list',
    summary: 'list workspaces',
    query: {
      page: 'the page, from 0',
      size: 'workspaces per page (default 20)',
      sort: 'name, created, lastModified or status, then ,asc or ,desc',
    },
    example: 'slipway workspace list --sort name',
    run: call('GET', () => '/api/workspaces'),
  },
  {
    resource: 'workspace',
    action: 'update',
    summary: 'change a workspace: the fields given change, the others stay',
    id: 'required',
    idHelp: ID_HELP,
    body: 'required',
    example: `slipway workspace update --id shop --body '{"branch": "release"}'`,
    run: onWorkspace('PUT', (id) => `/api/workspaces/${id}`),
  },
  {
    resource: 'workspace',
    action: 'delete',
    summary: 'delete a workspace, withdrawing its jobs and deleting what it deployed',
    id: 'required',
    idHelp: ID_HELP,
    example: 'slipway workspace delete --id shop',
    run: async (context) => {
      await onWorkspace('DELETE', (id) => `/api/workspaces/${id}`)(context);
      context.note(`workspace ${context.id} deleted`);
      return 0;
    },
  },
  {
    resource: 'workspace',
    action: 'deploy',
    summary:
      'deploy the branch head (or --commit); with --wait, print the log until the deploy ends (exit 1 unless it completes)',
    id: 'required',
    idHelp: ID_HELP,
    options: {
      plan: 'a dry run: what the deploy would create, change and prune, applying nothing',
      commit:
        "deploy this commit (a full id) instead of the branch head: an earlier one rolls back (one of the branch's commits, unless you own the workspace)",
      force: "deploy even though the workspace's deploys are paused",
      ...WAIT_OPTIONS,
    },
    booleans: ['plan', 'force', 'wait'],
    example: 'slipway workspace deploy --id shop --wait',
    run: deployWorkspace,
  },
  {
    resource: 'workspace',
    action: 'pause',
    summary:
      "pause the workspace's deploys: pushes, re-runs, polls and drift heals are held (not deployed), and a deploy by name needs --force",
    id: 'required',
    idHelp: ID_HELP,
    options: {
      reason: 'why, shown wherever a held deploy or a refusal says it is paused',
      until:
        'when the pause ends by itself, as a resume would (ISO-8601, e.g. 2026-12-07T09:00:00Z)',
    },
    example:
      'slipway workspace pause --id shop --reason "release freeze" --until 2026-12-07T09:00:00Z',
    run: pauseWorkspace,
  },
  {
    resource: 'workspace',
    action: 'resume',
    summary:
      "resume the workspace's deploys; when some were held, the branch head is deployed (with --wait, print its log until it ends)",
    id: 'required',
    idHelp: ID_HELP,
    options: { ...WAIT_OPTIONS },
    booleans: ['wait'],
    example: 'slipway workspace resume --id shop --wait',
    run: resumeWorkspace,
  },
  {
    resource: 'workspace',
    action: 'logs',
    summary:
      "print what a task of the workspace writes now, from the runtime; with --follow, keep printing until Ctrl-C or the task's run ends",
    id: 'required',
    idHelp: ID_HELP,
    options: {
      task: 'the task (its manifest name)',
      follow: 'keep printing each new line as it comes',
      prefix: 'put [<pod>] before each line (for a task of several replicas)',
    },
    booleans: ['follow', 'prefix'],
    example: 'slipway workspace logs --id shop --task web --follow',
    run: workspaceLogs,
  },
  {
    resource: 'workspace',
    action: 'drift',
    summary:
      'show what the last drift check found (SLIPWAY_DRIFT_SECONDS), or with --check compare the workspace with its deployed commit now',
    id: 'required',
    idHelp: ID_HELP,
    options: { check: 'compare now instead of showing the last check' },
    booleans: ['check'],
    example: 'slipway workspace drift --id shop --check',
    run: (context) =>
      onWorkspace(
        context.options.get('check') === true ? 'POST' : 'GET',
        (id) => `/api/workspaces/${id}/drift`,
      )(context),
  },
  {
    resource: 'workspace',
    action: 'jobs',
    summary: "list a workspace's jobs, newest first",
    id: 'required',
    idHelp: ID_HELP,
    query: {
      status: 'only these statuses, comma-separated (QUEUED, RUNNING, COMPLETE, ERROR, STOPPED)',
      type: 'only this type',
      page: 'the page, from 0',
      size: 'jobs per page',
    },
    several: ['status'],
    example: 'slipway workspace jobs --id shop --status ERROR,STOPPED',
    run: onWorkspace('GET', (id) => `/api/workspaces/${id}/jobs`),
  },
];
