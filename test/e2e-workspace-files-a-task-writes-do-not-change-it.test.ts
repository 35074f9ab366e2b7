import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { type Json, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/**
 * A task runs in its directory of the checkout, and many write there (a log, `__pycache__`).
 * Whether a task changed is what git says of its directory, so such files never make a redeploy
 * restart it.
 */
describe('a task that writes into its own directory', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let workspaceId: string;

  const writer = `require('node:fs').appendFileSync('app.log', 'started ' + process.pid + '\\n');
console.log('started');
setInterval(() => {}, 1000);
`;

  async function deploy(): Promise<Json> {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    expect(queued.status, queued.text).toBe(202);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status, done.message).toBe('COMPLETE');
    return done;
  }

  beforeAll(async () => {
    repo = createRepo({
      'tasks/writer/manifest.json': manifest({
        name: 'writer',
        type: 'deployment',
        cmd: ['node', 'main.js'],
      }),
      'tasks/writer/main.js': writer,
      'README.md': 'one\n',
    });
    server = await startServer();
    const created = await server.api('POST', '/api/workspaces', {
      name: 'writes',
      repositoryUrl: repo.dir,
    });
    workspaceId = created.json.id;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('stays unchanged on a redeploy of the same commit and of a commit that left it alone', async () => {
    expect((await deploy()).result.created).toEqual([expect.objectContaining({ name: 'writer' })]);
    const again = await deploy();
    expect(again.result.unchanged).toEqual([expect.objectContaining({ name: 'writer' })]);
    repo.commit({ 'README.md': 'two\n' });
    const next = await deploy();
    expect(next.result.unchanged).toEqual([expect.objectContaining({ name: 'writer' })]);
    expect(next.result.changed).toEqual([]);
  });

  it('changes when git changes its directory', async () => {
    repo.commit({ 'tasks/writer/main.js': `${writer}// v2\n` });
    expect((await deploy()).result.changed).toEqual([expect.objectContaining({ name: 'writer' })]);
  });
});
