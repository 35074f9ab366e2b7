import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

const hello = JSON.stringify({
  name: 'hello',
  type: 'job',
  cmd: ['node', '-e', "console.log('hello from the cli')"],
});

/**
 * A switch (`--plan`, `--wait`, `--follow`) is on with `--x` or `--x=true`, off with `--x=false`,
 * and refused with any other value; a flag that takes a value is refused bare or empty. Neither
 * is ever read as something else: a dry run never becomes a deploy, an empty id never a list.
 */
describe('the slipway CLI reads switches and values exactly as given', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;

  const run = (...args: string[]): Promise<CliResult> => slipway(args, { env });

  async function deploys(): Promise<Array<{ id: string; type: string; status: string }>> {
    const jobs = await server.api('GET', '/api/jobs?size=100');
    return jobs.json._embedded?.jobs ?? [];
  }

  beforeAll(async () => {
    repo = createRepo({ 'tasks/hello/manifest.json': hello });
    server = await startServer();
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
    const created = await server.api('POST', '/api/workspaces', {
      name: 'demo',
      repositoryUrl: repo.dir,
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('--plan=true plans and --wait=true waits; --plan=false deploys', async () => {
    const plan = await run('workspace', 'deploy', 'demo', '--plan=true', '--wait=true');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(/^plan of workspace demo: job /);
    expect(plan.stdout).toMatch(/plan for \w+ to namespace demo: 1 created/);
    const workspace = (await server.api('GET', '/api/workspaces')).json._embedded.workspaces[0];
    expect(workspace.lastDeployment ?? null).toBeNull();

    const real = await run('workspace', 'deploy', 'demo', '--plan=false', '--wait');
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toMatch(/^deploy of workspace demo: job /);
    expect(real.stdout).toContain('[hello] hello from the cli');

    const followed = await run(
      'jobs',
      'logs',
      '--id',
      /job (\S+)/.exec(real.stderr)?.[1] ?? '',
      '--follow=true',
    );
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain('[hello] hello from the cli');
  });

  it('refuses any other value of a switch, naming flag, value and what it takes, queuing nothing', async () => {
    const before = (await deploys()).length;
    const refused: Array<[string[], string]> = [
      [
        ['workspace', 'deploy', 'demo', '--plan=yes'],
        '--plan is "yes"; expected --plan, --plan=true or --plan=false',
      ],
      [
        ['workspace', 'deploy', 'demo', '--wait=1'],
        '--wait is "1"; expected --wait, --wait=true or --wait=false',
      ],
      [
        ['workspace', 'deploy', 'demo', '--plan='],
        '--plan is ""; expected --plan, --plan=true or --plan=false',
      ],
      [
        ['jobs', 'logs', '--id', 'x', '--follow=on'],
        '--follow is "on"; expected --follow, --follow=true or --follow=false',
      ],
    ];
    for (const [args, message] of refused) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    expect(await deploys()).toHaveLength(before);
  });

  it('refuses an empty id and a value flag given without its value', async () => {
    const refused: Array<[string[], string]> = [
      [['jobs', 'read', '--id', ''], '--id needs a value'],
      [['jobs', 'read', '--id='], '--id needs a value'],
      [['jobs', 'read', '--id', ' '], '--id needs a value'],
      [['workspace', 'read', ''], '--id needs a value'],
      [['application', 'read', ''], '--id needs a value'],
      [['deployment', 'wait', '--id', '', '--status', 'running'], '--id needs a value'],
      [
        ['deployment', 'wait', '--id', '1', '--status', 'running', '--timeout'],
        '--timeout needs a value',
      ],
      [['deployment', 'wait', '--id', '1', '--status'], '--status needs a value'],
      [['jobs', 'logs', '--id', 'x', '--sequence'], '--sequence needs a value'],
      [['workspace', 'deploy', 'demo', '--wait', '--timeout'], '--timeout needs a value'],
    ];
    for (const [args, message] of refused) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim(), args.join(' ')).toBe(`slipway: ${message}`);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });
});
