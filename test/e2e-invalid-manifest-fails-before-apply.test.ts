import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe('a workspace with invalid units', () => {
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = createRepo({
      ...helloJob('good'),
      'tasks/bad-type/manifest.json': manifest({
        name: 'bad-type',
        type: 'cronjob',
        cmd: ['true'],
      }),
      'tasks/bad-key/manifest.json': manifest({
        name: 'bad-key',
        type: 'job',
        cmd: ['true'],
        imagee: 'x',
      }),
      'tasks/dup/manifest.json': manifest({ name: 'good', type: 'job', cmd: ['true'] }),
    });
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('fails the deploy with every problem listed, at its file and line, and applies nothing', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'invalid',
      repositoryUrl: repo.dir,
    });
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status).toBe('ERROR');
    expect(done.message).toMatch(/3 problem\(s\) in .*nothing was applied/);
    const problems = done.result.problems as Array<{
      file: string;
      line?: number;
      column?: number;
      message: string;
    }>;
    expect(problems.map((p) => p.file).sort()).toEqual([
      'tasks/bad-key/manifest.json',
      'tasks/bad-type/manifest.json',
      'tasks/good/manifest.json',
    ]);
    const badType = problems.find((p) => p.file === 'tasks/bad-type/manifest.json');
    expect(badType?.line).toBe(3);
    expect(badType?.message).toMatch(/"cronjob".*expected one of job, deployment, service/);
    expect(problems.find((p) => p.file === 'tasks/bad-key/manifest.json')?.message).toContain(
      'imagee',
    );
    // The second file of a name is the one named, at its name's line and column.
    expect(problems.find((p) => p.file === 'tasks/good/manifest.json')).toMatchObject({
      line: 2,
      column: 11,
      message:
        'task name "good" is already used by tasks/dup/manifest.json; expected a unique name',
    });
    const log = await jobLog(server, queued.json.id);
    expect(log).toContain('tasks/bad-type/manifest.json:3');
    expect(log).not.toContain('[good]');
    expect((await server.api('GET', `/api/workspaces/${ws.json.id}`)).json.status).toBe('FAILED');
  });
});
