import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { deliver, githubAppEnv, pushEvent } from './helpers/github-webhooks.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/chain';

/**
 * Through the GitHub App, commits A, B, C pushed in that order; B's push delivered first and
 * deploying, C's queued behind it, A's last. A's push does not cancel C's queued deploy: C was
 * pushed on top of B, and B on top of A, as their pushes' `before` say.
 */
describe('the GitHub App, given a push after newer ones that are queued', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let scratch: string;
  let start: string;
  let a: string;
  let b: string;
  let c: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-app-chain-'));
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('work', 'at start'));
    start = repo.head();
    a = repo.commit(helloJob('work', 'at A'));
    b = repo.commit({
      ...helloJob('work', 'at B'),
      ...slowJob('gate', path.join(scratch, 'b.marker'), 2500),
    });
    c = repo.commit(helloJob('work', 'at C'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    server = await startServer({ env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'chain',
      repositoryUrl: REPO,
    });
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function push(after: string, before: string): Promise<string> {
    const payload = pushEvent(REPO, installationId, after, 'refs/heads/main', before);
    const delivery = await deliver(server.url, 'push', payload, github.webhookSecret);
    expect(delivery.status, JSON.stringify(delivery.json)).toBe(202);
    return delivery.json.jobs[0].job as string;
  }

  const completedRun = (job: string) =>
    eventually(
      async () =>
        github.checkRuns(REPO).find((r) => r.external_id === job && r.status === 'completed'),
      `the check run of job ${job} to complete`,
      30_000,
    );

  it("deploys C with C's own deploy, its check run a success, and A's deploy takes C too", async () => {
    const jobB = await push(b, a);
    await slowJobStarted(path.join(scratch, 'b.marker'));
    const jobC = await push(c, b);
    const jobA = await push(a, start);
    expect((await waitForJob(server, jobB)).status).toBe('COMPLETE');
    const deployedC = await waitForJob(server, jobC);
    expect([deployedC.status, deployedC.commitId]).toEqual(['COMPLETE', c]);
    expect(await jobLog(server, jobC)).toContain('at C');
    const late = await waitForJob(server, jobA);
    expect([late.status, late.commitId]).toEqual(['COMPLETE', c]);

    expect(await completedRun(jobC)).toMatchObject({ head_sha: c, conclusion: 'success' });
    const runA = await completedRun(jobA);
    expect(runA).toMatchObject({ head_sha: a, conclusion: 'success' });
    expect(runA.output.summary).toContain(`(it deploys \`${c.slice(0, 7)}\``);
  });
});
