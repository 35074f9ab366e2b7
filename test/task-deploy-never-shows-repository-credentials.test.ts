import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../core/engine.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import type { TaskDeployInput } from '../core/tasks/index.js';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { job } from './fixtures/datatask.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { installationToken } from './helpers/github-api.js';
import { eventually } from './helpers/wait.js';

// A repository URL may carry credentials (`https://user:token@host/...`): they let git fetch,
// and must never reach a job log, a job message or an error answer (STYLE.md: never log a token).
describe('task deploys and configuration loads never show repository credentials', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-task-credentials-'));
  let github: GitHubApiServer;
  let repo: TestRepo;
  let engine: Engine;
  let token: string;
  let url: string;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo({ 'tasks/hello/manifest.json': job('hello') });
    github.addRepository('acme/flows', repo.dir, { private: true });
    token = await installationToken(github, github.addInstallation('acme', ['acme/flows']).id);
    const host = new URL(github.url).host;
    url = `http://x-access-token:${token}@${host}/acme/flows.git`;
    engine = createEngine({
      store: createMemoryStore(),
      runtime: createLocalRuntime({
        stateDir: path.join(dir, 'local'),
        baseEnv: { PATH: process.env.PATH ?? '' },
      }),
      source: createGitSource({
        cacheDir: path.join(dir, 'checkouts'),
        reposDir: dir,
        env: { PATH: process.env.PATH, HOME: dir, GIT_TERMINAL_PROMPT: '0' },
      }),
      healthPollMs: 50,
      pollMs: 20,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    await github?.close();
    repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const input = (directory: string): TaskDeployInput => ({
    repository: url,
    directory,
    branch: repo.branch,
    namespace: 'flows',
    name: null,
    schedule: null,
    configuration: null,
    identity: null,
  });

  async function ended(id: string) {
    const done = await eventually(() => {
      const current = engine.jobs.get(id);
      return ['COMPLETE', 'ERROR', 'STOPPED'].includes(current.status) ? current : undefined;
    }, `job ${id} to end`);
    const log = engine.jobs
      .logs(id, 0, 1000)
      .map((l) => l.line)
      .join('\n');
    return { done, log };
  }

  it('masks them in the log of a task deploy', async () => {
    const { job: deploy } = await engine.tasks.deploy(input('tasks/hello'));
    const { done, log } = await ended(deploy.id);
    expect(done.status, log).toBe('COMPLETE');
    expect(log).toContain(`fetched http://***@${new URL(github.url).host}/acme/flows.git at`);
    expect(`${log}\n${JSON.stringify(done.message)}`).not.toContain(token);
  });

  it('masks them in the error naming a missing directory', async () => {
    const error = await engine.tasks.deploy(input('tasks/nope')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toContain("directory 'tasks/nope' not found in http://***@");
    expect((error as Error).message).not.toContain(token);
  });

  it('masks them in the log and the errors of configuration loading', async () => {
    for (const directory of ['tasks/hello', 'tasks/nope']) {
      const load = engine.tasks.loadConfiguration(
        { unit: 'task', repository: url, directory, branch: repo.branch },
        null,
      );
      const { done, log } = await ended(load.id);
      expect(done.status).toBe(directory === 'tasks/hello' ? 'COMPLETE' : 'ERROR');
      expect(`${log}\n${done.message}\n${done.target}`).not.toContain(token);
    }
  });
});
