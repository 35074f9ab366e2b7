import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, slipway } from './helpers/cli.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

function job(name: string, script: string): string {
  return JSON.stringify({ name, type: 'job', cmd: ['node', '-e', script] });
}

describe('the slipway CLI deploys DataTask tasks and runs pipelines, and waits for them', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let env: Record<string, string>;

  async function run(...args: string[]): Promise<CliResult> {
    return slipway(args, { env });
  }

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repos-'));
    repo = createRepo(
      {
        'tasks/first/manifest.json': job('first', "console.log('first done')"),
        'tasks/second/manifest.json': job('second', "console.log('second done')"),
        'tasks/broken/manifest.json': job('broken', "console.error('broken'); process.exit(3)"),
        'pipelines/chain/pipeline.json': JSON.stringify({
          name: 'chain',
          tasks: [
            { name: 'first', namespacetask: 'flows/tasks/first' },
            { name: 'second', namespacetask: 'flows/tasks/second', dependance: ['first'] },
          ],
        }),
      },
      { dir: path.join(reposDir, 'flows'), branch: 'master' },
    );
    server = await startServer({ reposDir });
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken };
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('deploys a task and waits until it is healthy, or queues it and prints its state', async () => {
    const waited = await run(
      'task',
      'deploy',
      '--repository',
      'flows',
      '--directory',
      'tasks/first',
      '--wait',
    );
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/^deploy of task flows\/first: job [0-9a-f-]{36}/);
    expect(waited.stdout).toContain('[first] first done');
    expect(waited.stdout).toContain("job 'first' healthy: exited with code 0");

    const queued = await run(
      'task',
      'deploy',
      '--repository',
      'flows',
      '--directory',
      'tasks/second',
      '--namespace',
      'elsewhere',
      '--name',
      'renamed',
    );
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.json).toMatchObject({
      namespace: 'elsewhere',
      name: 'renamed',
      status: 'pending',
    });
    const state = (await server.api('GET', `/api/jobs/${queued.json.id}`)).json;
    expect(state.type).toBe('TASK_DEPLOY');
  });

  it("exits 1 with the reason when the task fails, and 1 with the server's answer for a bad directory", async () => {
    const failed = await run(
      'task',
      'deploy',
      '--repository',
      'flows',
      '--directory',
      'tasks/broken',
      '--wait',
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('[broken] broken');
    expect(failed.stderr).toMatch(/job [0-9a-f-]{36} ended ERROR: .*broken/);

    const missing = await run(
      'task',
      'deploy',
      '--repository',
      'flows',
      '--directory',
      'tasks/none',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/answered 404: directory 'tasks\/none' not found in flows/);
  });

  it('runs a pipeline under a name and follows it to the end', async () => {
    const result = await run(
      'pipeline',
      'run',
      '--repository',
      'flows',
      '--directory',
      'pipelines/chain',
      '--name',
      'nightly',
      '--wait',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^run nightly of pipeline chain in flows: job [0-9a-f-]{36}/);
    const lines = result.stdout.split('\n');
    const first = lines.indexOf('[nightly-first] first done');
    const second = lines.indexOf('[nightly-second] second done');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    expect(result.stdout).toContain('pipeline nightly succeeded: 2 succeeded');
  });

  it('refuses missing or unusable flags with exit 2, before anything is queued', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['task', 'deploy', '--repository', 'flows'], /task deploy needs --directory/],
      [['task', 'deploy', '--directory', 'tasks/first'], /task deploy needs --repository/],
      [
        ['task', 'deploy', '--repository', 'flows', '--directory', '.'],
        /--directory is "\.", which cannot travel in a URL path; expected a named directory/,
      ],
      [
        ['task', 'deploy', '--repository', 'flows', '--directory', 'tasks/first', '--timeout', '9'],
        /--timeout is how long --wait waits/,
      ],
      [
        ['task', 'deploy', '--repository', 'flows', '--directory', 'tasks/first', '--branch'],
        /--branch needs a value/,
      ],
      [
        ['pipeline', 'run', '--repository', 'flows', '--directory', 'pipelines/chain'],
        /pipeline run needs --name/,
      ],
    ];
    const before = (await server.api('GET', '/api/jobs')).json.page.totalElements;
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect((await server.api('GET', '/api/jobs')).json.page.totalElements).toBe(before);
  });

  it('says in its help what --repository may be, as the server takes it: a name, not a URL', async () => {
    for (const command of [
      ['task', 'deploy'],
      ['pipeline', 'run'],
    ]) {
      const help = await run(...command, '--help');
      const line = help.stdout.split('\n').find((l) => l.trimStart().startsWith('--repository'));
      expect(line).toContain("a repository's name in the server's SLIPWAY_REPOS_DIR");
      expect(line).toContain('not a path or URL');
    }
    const url = await run(
      'task',
      'deploy',
      '--repository',
      'https://github.com/acme/flows.git',
      '--directory',
      'tasks/first',
    );
    expect(url.code).toBe(1);
    expect(url.stderr).toContain('expected a repository name in SLIPWAY_REPOS_DIR');
  });
});
