import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { pushToWorkspace } from './helpers/github-webhooks.js';
import { type ServerProcess, startServer } from './helpers/server.js';

const hello = JSON.stringify({
  name: 'hello',
  type: 'job',
  cmd: ['node', '-e', "console.log('hello from the cli')"],
});

describe('the slipway CLI drives workspaces (create, deploy by name and wait, plan, jobs, delete) and API tokens', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;
  let workspaceId: string;
  /** The first commit, the one the first deploy deployed. */
  let first: string;

  async function run(...args: string[]): Promise<CliResult> {
    return slipway(args, { env });
  }

  /** Runs slipway against the server; fails the test unless it exits 0. */
  async function ok(...args: string[]): Promise<CliResult> {
    const result = await run(...args);
    expect(result.code, `slipway ${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  }

  beforeAll(async () => {
    repo = createRepo({ 'tasks/hello/manifest.json': hello });
    first = repo.head();
    server = await startServer();
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    const created = await ok(
      'workspace',
      'create',
      '--body',
      JSON.stringify({ name: 'shop floor', repositoryUrl: repo.dir }),
    );
    workspaceId = created.json.id;
    expect(created.json.namespace).toBe('shop-floor');
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('reads and lists a workspace by its name as by its id', async () => {
    const byName = await ok('workspace', 'read', 'shop floor');
    const byId = await ok('workspace', 'read', '--id', workspaceId);
    expect(byName.json.id).toBe(workspaceId);
    expect(byId.json.name).toBe('shop floor');
    const listed = await ok('workspace', 'list', '--sort', 'name');
    expect(listed.json._embedded.workspaces.map((ws: { id: string }) => ws.id)).toContain(
      workspaceId,
    );
    // By its alias too, while no other workspace has it.
    expect((await ok('workspace', 'read', 'shop-floor')).json.id).toBe(workspaceId);
    const twin = await ok(
      'workspace',
      'create',
      '--body',
      JSON.stringify({ name: 'Shop Floor', repositoryUrl: repo.dir }),
    );
    const ambiguous = await run('workspace', 'read', 'shop-floor');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(
      '"shop-floor" is the alias of workspaces "Shop Floor", "shop floor"; give a name or id',
    );
    await ok('workspace', 'delete', '--id', twin.json.id);
  });

  it('deploys and waits: the log as it grows, exit 0 once the deploy completed', async () => {
    const deployed = await ok('workspace', 'deploy', 'shop floor', '--wait');
    expect(deployed.stdout).toContain('[hello] hello from the cli');
    expect(deployed.stdout).toMatch(
      new RegExp(`deployed ${repo.head().slice(0, 12)} to namespace shop-floor: 1 created`),
    );
    const jobId = /job ([0-9a-f-]{36})/.exec(deployed.stderr)?.[1];
    expect(deployed.stderr).toContain(`deploy of workspace shop floor: job ${jobId}`);
    const job = (await server.api('GET', `/api/jobs/${jobId}`)).json;
    expect(job.status).toBe('COMPLETE');
    expect(job.commitId).toBe(repo.head());
  });

  it('prints lists as tables for people, and JSON for scripts', async () => {
    const table = await ok('workspace', 'list', '--output', 'table');
    const [header, row, footer] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+NAMESPACE\s+BRANCH\s+STATUS\s+DEPLOYED\s+AT\s+REPOSITORY$/);
    expect(row?.split(/\s{2,}/)).toEqual([
      'shop floor',
      'shop-floor',
      'main',
      'READY',
      repo.head().slice(0, 12),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      repo.dir,
    ]);
    expect(footer).toBe('page 1 of 1, 1 in all');
    const jobs = await ok('workspace', 'jobs', 'shop floor', '--output', 'table', '--size', '1');
    expect(jobs.stdout).toMatch(/^ID\s+TYPE\s+STATUS\s+CREATED\s+COMMIT\s+MESSAGE\n/);
    expect(jobs.stdout).toContain('WORKSPACE_DEPLOY  COMPLETE');
    expect(jobs.stdout.trimEnd().split('\n').at(-1)).toMatch(/^page 1 of \d+, \d+ in all/);
    const none = await ok('jobs', 'list', '--status', 'ERROR', '--output', 'table');
    expect(none.stdout).toBe('no jobs\n');
    // Several statuses, comma-separated: any of them.
    const either = await ok('jobs', 'list', '--status', 'ERROR, COMPLETE', '--output', 'table');
    expect(either.stdout).toContain('WORKSPACE_DEPLOY  COMPLETE');
    const ofShop = await ok('workspace', 'jobs', 'shop floor', '--status', 'QUEUED,COMPLETE');
    expect(ofShop.json._embedded.jobs.length).toBeGreaterThan(0);
    // One thing as field: value lines.
    const one = await ok('workspace', 'read', 'shop floor', '--output', 'table');
    expect(one.stdout).toMatch(/^id: +[0-9a-f-]{36}$/m);
    expect(one.stdout).toMatch(/^namespace: +shop-floor$/m);
    // Not on a terminal, without --output: JSON, as before.
    expect((await ok('workspace', 'list')).json._embedded.workspaces).toHaveLength(1);
    const wrong = await run('workspace', 'list', '--output', 'yaml');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--output is "yaml"; expected json or table');
  });

  it('plans without applying, and queues without waiting', async () => {
    const next = repo.commit({
      'tasks/hello/manifest.json': hello.replace('hello from the cli', 'hello again'),
    });
    const plan = await ok('workspace', 'deploy', '--id', 'shop floor', '--plan', '--wait');
    expect(plan.stdout).toMatch(/plan for \w+ to namespace shop-floor: 0 created, 1 changed/);
    expect(plan.stderr).toMatch(/^plan of workspace shop floor: job /);
    const workspace = (await server.api('GET', `/api/workspaces/${workspaceId}`)).json;
    expect(workspace.lastDeployment?.commitId ?? null).not.toBe(next);

    const queued = await ok('workspace', 'deploy', workspaceId);
    expect(queued.json.type).toBe('WORKSPACE_DEPLOY');
    expect(['QUEUED', 'RUNNING']).toContain(queued.json.status);
    const followed = await ok('jobs', 'logs', '--id', queued.json.id, '--follow');
    expect(followed.stdout).toContain('[hello] hello again');

    const jobs = await ok('workspace', 'jobs', 'shop floor', '--status', 'COMPLETE');
    const ids = jobs.json._embedded.jobs.map((j: { id: string }) => j.id);
    expect(ids).toContain(queued.json.id);
    expect(jobs.json.page.totalElements).toBe(3);
  });

  it('pauses deploys, refuses a deploy unless forced, and resumes following the held deploy', async () => {
    const paused = await ok('workspace', 'pause', 'shop floor', '--reason', 'release freeze');
    expect(paused.json.paused).toMatchObject({ by: 'admin', reason: 'release freeze', held: 0 });
    const table = await ok('workspace', 'list', '--output', 'table');
    expect(table.stdout).toMatch(/shop floor\s+shop-floor\s+main\s+READY \(PAUSED\)/);
    const refused = await run('workspace', 'deploy', 'shop floor');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("deploys of workspace 'shop floor' are paused by admin since");
    expect(refused.stderr).toContain(
      "release freeze; resume its deploys, or force the deploy (?force=true; slipway --force; the Action's force: true)",
    );
    const forced = await ok('workspace', 'deploy', 'shop floor', '--force', '--wait');
    expect(forced.stdout).toContain(`deployed ${repo.head().slice(0, 12)} to namespace shop-floor`);

    // A push to the workspace's webhook is held while paused.
    const ws = (await server.api('GET', `/api/workspaces/${workspaceId}`)).json;
    const hook = await pushToWorkspace(server, ws, { after: repo.head() });
    expect(hook.json.status).toBe('STOPPED');

    const resumed = await ok('workspace', 'resume', 'shop floor', '--wait');
    expect(resumed.stderr).toContain(
      'workspace shop floor resumed: deploy of the branch head: job',
    );
    expect(resumed.stdout).toContain(
      `deployed ${repo.head().slice(0, 12)} to namespace shop-floor`,
    );
    const again = await ok('workspace', 'resume', 'shop floor');
    expect(again.json.paused).toBeNull();
  });

  it('exits 1 naming the status and the reason when a deploy fails', async () => {
    repo.commit({ 'tasks/hello/manifest.json': '{ "name": "hello", "type": "cronjob" }' });
    const failed = await run('workspace', 'deploy', 'shop floor', '--wait');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /job [0-9a-f-]{36} ended ERROR: 1 problem\(s\) in tasks\/hello\/manifest.json; nothing was applied/,
    );
    expect(failed.stdout).toMatch(/tasks\/hello\/manifest.json:\d+:\d+ "type" is "cronjob"/);
  });

  it('rolls back with --commit past a broken head to the commit that worked', async () => {
    const back = await ok('workspace', 'deploy', 'shop floor', '--commit', first, '--wait');
    expect(back.stderr).toContain(`deploy of workspace shop floor at ${first.slice(0, 12)}: job`);
    expect(back.stdout).toContain('[hello] hello from the cli');
    expect(back.stdout).toContain(`deployed ${first.slice(0, 12)} to namespace shop-floor`);
  });

  it('stops waiting at --timeout with exit 1 while the deploy goes on', async () => {
    repo.commit({
      'tasks/hello/manifest.json': JSON.stringify({
        name: 'hello',
        type: 'job',
        cmd: ['node', '-e', 'setTimeout(() => {}, 60000)'],
      }),
    });
    const started = Date.now();
    const waited = await run('workspace', 'deploy', 'shop floor', '--wait', '--timeout', '2');
    expect(waited.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const jobId = /job ([0-9a-f-]{36}) is still (QUEUED|RUNNING) after 2 s/.exec(
      waited.stderr,
    )?.[1];
    expect(jobId, waited.stderr).toBeDefined();
    expect(waited.stderr).toContain(`slipway jobs withdraw --id ${jobId}`);
    const job = (await server.api('GET', `/api/jobs/${jobId}`)).json;
    expect(['QUEUED', 'RUNNING']).toContain(job.status);
    await ok('jobs', 'withdraw', '--id', jobId as string);
  });

  it('refuses unknown names, misplaced flags and bad timeouts', async () => {
    const unknown = await run('workspace', 'deploy', 'no such workspace', '--wait');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `no workspace is named "no such workspace" on ${server.url}; "slipway workspace list" lists them`,
    );
    const usage: Array<[string[], RegExp]> = [
      [
        ['workspace', 'deploy', 'shop floor', '--timeout', '5'],
        /--timeout is how long --wait waits/,
      ],
      [
        ['workspace', 'deploy', 'shop floor', '--wait', '--timeout', '0'],
        /--timeout is "0"; expected whole seconds, 1 or more/,
      ],
      [['workspace', 'deploy'], /workspace deploy needs --id/],
      [
        ['workspace', 'deploy', 'shop floor', '--commit', 'HEAD~1'],
        /--commit is "HEAD~1"; expected a full commit id \(40 hex characters/,
      ],
      [['workspace', 'create'], /workspace create needs --body/],
      [['workspace', 'read', 'shop floor', '--plan'], /workspace read takes no --plan/],
    ];
    for (const [args, message] of usage) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const invalid = await run(
      'workspace',
      'create',
      '--body',
      JSON.stringify({ name: 'other', repositoryUrl: repo.dir, namespace: 'Bad_NS' }),
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/answered 400: .*"namespace" is "Bad_NS"/);
  });

  it('updates a workspace by name, then deletes it', async () => {
    const updated = await ok('workspace', 'update', 'shop floor', '--body', '{"branch": "next"}');
    expect(updated.json.branch).toBe('next');
    const deleted = await ok('workspace', 'delete', 'shop floor');
    expect(deleted.stdout).toBe('');
    expect(deleted.stderr).toContain('workspace shop floor deleted');
    const gone = await run('workspace', 'read', '--id', workspaceId);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`answered 404: workspace '${workspaceId}' does not exist`);
  });

  it('creates an API token that works at once, lists it without its secret, and revokes it', async () => {
    const created = await ok('token', 'create', '--name', 'github-actions');
    const { id, token } = created.json;
    expect(token).toMatch(/^slw_/);
    const listed = await ok('token', 'list');
    expect(listed.stdout).not.toContain(token);
    expect(listed.json.tokens.map((t: { name: string }) => t.name)).toContain('github-actions');

    const asToken = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token };
    const read = await slipway(['workspace', 'list'], { env: asToken });
    expect(read.code, read.stderr).toBe(0);
    const notAdmin = await slipway(['token', 'list'], { env: asToken });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('answered 403: only the admin token may do this');

    const revoked = await ok('token', 'delete', id);
    expect(revoked.stderr).toContain(`token ${id} revoked`);
    const refused = await slipway(['workspace', 'list'], { env: asToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('answered 401');
    expect(refused.stderr).not.toContain(token);

    const nameless = await run('token', 'create');
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toContain('token create needs --name');
  });
});
