import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { deliver, githubAppEnv, pushEvent, rerequestedSuite } from './helpers/github-webhooks.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/late';

/**
 * Through the GitHub App: commits A then B on main, B's push delivered first and deploying
 * when A's comes. A's deploy takes the workspace to B, not back to A, and its check run on A
 * says so; a re-run of A's check suite deploys A, as asked.
 */
describe('the GitHub App, given a push after a newer one', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let scratch: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-app-late-push-'));
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('work', 'at start'));
    a = repo.commit(helloJob('work', 'at A'));
    b = repo.commit({
      ...helloJob('work', 'at B'),
      ...slowJob('gate', path.join(scratch, 'b.marker'), 2500),
    });
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    server = await startServer({ env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'late',
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

  async function push(after: string): Promise<string> {
    const payload = pushEvent(REPO, installationId, after);
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

  it("deploys the head, and A's check run says it did", async () => {
    const jobB = await push(b);
    await slowJobStarted(path.join(scratch, 'b.marker'));
    const jobA = await push(a);
    expect((await waitForJob(server, jobB)).status).toBe('COMPLETE');
    const late = await waitForJob(server, jobA);
    const log = await jobLog(server, jobA);
    expect(late.status, log).toBe('COMPLETE');
    expect(late.commitId).toBe(b);
    expect(log).toContain(`commit ${a.slice(0, 12)} was pushed before ${b.slice(0, 12)}`);
    expect(log).not.toContain('at A');

    const run = await completedRun(jobA);
    expect(run).toMatchObject({ head_sha: a, conclusion: 'success' });
    expect(run.output.summary).toContain(
      `Deploy of **late** at \`${a.slice(0, 7)}\` (it deploys \`${b.slice(0, 7)}\`, the head of the branch, instead: GitHub delivered that push first)`,
    );
    // Its GitHub deployment, on A, says what runs.
    const deployment = await eventually(
      async () =>
        github.deployments(REPO).find((d) => d.sha === a && d.statuses.at(-1)?.state === 'success'),
      "A's GitHub deployment to succeed",
    );
    expect(deployment.statuses.at(-1)?.description).toMatch(
      new RegExp(`^branch head ${b.slice(0, 7)} in place of this commit`),
    );
  });

  async function rerunSuite(sha: string) {
    const suite = rerequestedSuite(REPO, installationId, sha, 'main');
    const rerun = await deliver(server.url, 'check_suite', suite, github.webhookSecret);
    expect(rerun.status, JSON.stringify(rerun.json)).toBe(202);
    return waitForJob(server, rerun.json.jobs[0].job as string);
  }

  it("deploys B when B's check suite is re-run, though A's deploy deployed B too", async () => {
    const job = await rerunSuite(b);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: b });
    const run = await completedRun(job.id);
    expect(run.head_sha).toBe(b);
  });

  it('deploys A when its check suite is re-run: a re-run names its commit', async () => {
    const job = await rerunSuite(a);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: a });
    expect(await jobLog(server, job.id)).toContain('at A');
    const run = await completedRun(job.id);
    expect(run.output.summary).toContain(`Deploy of **late** at \`${a.slice(0, 7)}\`: `);
  });
});
