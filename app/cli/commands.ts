import { type Command, call, stringFlag } from './command.js';
import { DATATASK_COMMANDS } from './datatask-commands.js';
import { followJobLogs } from './follow-job-logs.js';
import { UsageError } from './parse-args.js';
import { waitForDeployment } from './wait-for-deployment.js';
import { WORKSPACE_COMMANDS } from './workspace-commands.js';

const NP_PAGING = {
  offset: 'skip this many results (default 0)',
  limit: 'at most this many results (default 30, at most 200)',
};

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  ...WORKSPACE_COMMANDS,
  ...DATATASK_COMMANDS,
  {
    resource: 'application',
    action: 'create',
    summary: 'create an application (a repository and a directory in it)',
    body: 'required',
    example: `slipway application create --body '{"name": "shop", "repository_url": "https://github.com/acme/shop.git"}'`,
    run: call('POST', () => '/application'),
  },
  {
    resource: 'application',
    action: 'read',
    summary: 'show one application',
    id: 'required',
    example: 'slipway application read --id 1',
    run: call('GET', (id) => `/application/${id}`),
  },
  {
    resource: 'application',
    action: 'list',
    summary: 'list applications',
    query: { name: 'only applications of this name', status: 'only this status', ...NP_PAGING },
    example: 'slipway application list --name shop',
    run: call('GET', () => '/application'),
  },
  {
    resource: 'build',
    action: 'start',
    summary: 'record a build that has started (status in_progress unless the body says otherwise)',
    body: 'required',
    example: `slipway build start --body '{"application_id": 1, "commit": {"id": "4f2a9c1"}, "branch": "main"}'`,
    run: call('POST', () => '/build', { status: 'in_progress' }),
  },
  {
    resource: 'build',
    action: 'update',
    summary: 'change a build: its status (successful, failed, ...) or description',
    id: 'required',
    body: 'required',
    example: `slipway build update --id 3 --body '{"status": "successful"}'`,
    run: call('PATCH', (id) => `/build/${id}`),
  },
  {
    resource: 'build',
    action: 'add-asset',
    summary: 'add an asset to a build: a docker-image URL, or a directory of the repository',
    id: 'required',
    body: 'required',
    example: `slipway build add-asset --id 3 --body '{"name": "api", "type": "docker-image", "url": "ghcr.io/acme/shop:4f2a9c1"}'`,
    run: call('POST', (id) => `/build/${id}/asset`),
  },
  {
    resource: 'build',
    action: 'read',
    summary: 'show one build and its assets',
    id: 'required',
    example: 'slipway build read --id 3',
    run: call('GET', (id) => `/build/${id}`),
  },
  {
    resource: 'build',
    action: 'list',
    summary: 'list builds',
    query: {
      application_id: 'only builds of this application',
      status: 'only this status',
      branch: 'only builds of this branch',
      ...NP_PAGING,
    },
    example: 'slipway build list --application_id 1',
    run: call('GET', () => '/build'),
  },
  {
    resource: 'release',
    action: 'create',
    summary: 'create a release of a build (status, build_id, application_id and semver)',
    body: 'required',
    example: `slipway release create --body '{"status": "active", "build_id": 3, "application_id": 1, "semver": "1.1.0"}'`,
    run: call('POST', () => '/release'),
  },
  {
    resource: 'release',
    action: 'read',
    summary: 'show one release',
    id: 'required',
    example: 'slipway release read --id 2',
    run: call('GET', (id) => `/release/${id}`),
  },
  {
    resource: 'release',
    action: 'list',
    summary: 'list releases',
    query: {
      application_id: 'only releases of this application',
      build_id: 'only releases of this build',
      status: 'only this status',
      semver: 'only this version',
      ...NP_PAGING,
    },
    example: 'slipway release list --application_id 1',
    run: call('GET', () => '/release'),
  },
  {
    resource: 'scope',
    action: 'create',
    summary: 'create a scope: where an application runs (namespace, asset, capabilities)',
    body: 'required',
    example: `slipway scope create --body '{"application_id": 1, "name": "production", "asset_name": "api"}'`,
    run: call('POST', () => '/scope'),
  },
  {
    resource: 'scope',
    action: 'read',
    summary: 'show one scope, with the address its traffic is served on',
    id: 'required',
    example: 'slipway scope read --id 1',
    run: call('GET', (id) => `/scope/${id}`),
  },
  {
    resource: 'scope',
    action: 'list',
    summary: 'list scopes',
    query: {
      application_id: 'only scopes of this application',
      name: 'only this name',
      ...NP_PAGING,
    },
    example: 'slipway scope list --application_id 1',
    run: call('GET', () => '/scope'),
  },
  {
    resource: 'scope',
    action: 'patch',
    summary: 'change a scope (name, asset_name, gateway; capabilities merge)',
    id: 'required',
    body: 'required',
    example: `slipway scope patch --id 1 --body '{"capabilities": {"instances": 2}}'`,
    run: call('PATCH', (id) => `/scope/${id}`),
  },
  {
    resource: 'deployment',
    action: 'create',
    summary: 'deploy a release on a scope (initial, or blue-green beside the active one)',
    body: 'required',
    example: `slipway deployment create --body '{"scope_id": 1, "release_id": 2}'`,
    run: call('POST', () => '/deployment'),
  },
  {
    resource: 'deployment',
    action: 'read',
    summary: 'show one deployment and its strategy_data',
    id: 'required',
    query: { include_messages: 'true to add the step-by-step messages' },
    example: 'slipway deployment read --id 2 --include_messages true',
    run: call('GET', (id) => `/deployment/${id}`),
  },
  {
    resource: 'deployment',
    action: 'list',
    summary: 'list deployments',
    query: {
      scope_id: 'only deployments on this scope',
      application_id: 'only deployments of this application',
      release_id: 'only deployments of this release',
      status: 'only this status',
      ...NP_PAGING,
    },
    example: 'slipway deployment list --scope_id 1 --status running',
    run: call('GET', () => '/deployment'),
  },
  {
    resource: 'deployment',
    action: 'patch',
    summary: 'switch traffic, finalize or cancel (the change follows asynchronously)',
    id: 'required',
    body: 'required',
    example: `slipway deployment patch --id 2 --body '{"strategy_data": {"desired_switched_traffic": 30}}'`,
    run: async (context) => {
      await call('PATCH', (id) => `/deployment/${id}`)(context);
      context.note(`deployment ${context.id}: change accepted`);
      return 0;
    },
  },
  {
    resource: 'deployment',
    action: 'wait',
    summary:
      'wait until a deployment reaches a status (and its traffic settles); exit 1 if it ends otherwise',
    id: 'required',
    options: {
      status: 'the statuses to wait for, comma-separated (e.g. running or finalized)',
      timeout: 'give up after this many seconds (default 300)',
    },
    example: 'slipway deployment wait --id 2 --status running',
    run: waitForDeployment,
  },
  {
    resource: 'jobs',
    action: 'list',
    summary: 'list jobs, newest first',
    query: {
      status: 'only these statuses, comma-separated (QUEUED, RUNNING, COMPLETE, ERROR, STOPPED)',
      type: 'only this type',
      page: 'the page, from 0',
      size: 'jobs per page',
    },
    several: ['status'],
    example: 'slipway jobs list --status QUEUED,RUNNING',
    run: call('GET', () => '/api/jobs'),
  },
  {
    resource: 'jobs',
    action: 'read',
    summary: 'show one job',
    id: 'required',
    example: 'slipway jobs read --id 6f1c...',
    run: call('GET', (id) => `/api/jobs/${encodeURIComponent(id ?? '')}`),
  },
  {
    resource: 'jobs',
    action: 'logs',
    summary: "print a job's log; with --follow, until the job ends (exit 1 unless it completes)",
    id: 'required',
    options: {
      follow: 'keep printing new lines until the job ends',
      sequence: 'start at this line number (default 0)',
    },
    booleans: ['follow'],
    example: 'slipway jobs logs --id 6f1c... --follow',
    run: followJobLogs,
  },
  {
    resource: 'jobs',
    action: 'withdraw',
    summary: 'stop a queued or running job',
    id: 'required',
    example: 'slipway jobs withdraw --id 6f1c...',
    run: call('PUT', (id) => `/api/jobs/${encodeURIComponent(id ?? '')}/stopped`),
  },
  {
    resource: 'token',
    action: 'create',
    summary: 'create an API token (admin only); the token is printed once, only its hash is kept',
    options: { name: 'what the token is for, e.g. github-actions (required)' },
    example: 'slipway token create --name github-actions',
    run: async ({ client, options, printResult }) => {
      const name = stringFlag(options, 'name');
      if (name === undefined) throw new UsageError('token create needs --name');
      if (name.trim() === '') throw new UsageError('--name needs a value');
      const answer = await client.request('POST', '/api/tokens', { body: { name } });
      printResult(answer.body);
      return 0;
    },
  },
  {
    resource: 'token',
    action: 'list',
    summary: 'list API tokens (admin only): names, creation and last use, never the tokens',
    example: 'slipway token list',
    run: call('GET', () => '/api/tokens'),
  },
  {
    resource: 'token',
    action: 'delete',
    summary: 'revoke an API token (admin only)',
    id: 'required',
    example: 'slipway token delete --id 3f2c...',
    run: async (context) => {
      await call('DELETE', (id) => `/api/tokens/${encodeURIComponent(id ?? '')}`)(context);
      context.note(`token ${context.id} revoked`);
      return 0;
    },
  },
];
