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

/** Pushes through the GitHub App that GitHub delivered after newer ones. */
describe('the GitHub App, given a push after newer ones', () => {
  let github: GitHubApiServer;
  let server: ServerProcess;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-app-late-push-'));
  const repos: TestRepo[] = [];

  beforeAll(async () => {
    github = await startGitHubApiServer();
    server = await startServer({ env: githubAppEnv(github) });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    for (const repo of repos) repo.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * `acme/<name>`, with a commit "at start" and those `commit` adds (their ids, in order), and
   * workspace `<name>` deploying it; B's deploy is slow (its gate runs 2.5 s, marker `gate`).
   */
  async function repository(name: string, commit: (repo: TestRepo, gate: string) => string[]) {
    const full = `acme/${name}`;
    const repo = createRepo(helloJob('work', 'at start'));
    repos.push(repo);
    const start = repo.head();
    const gate = path.join(scratch, `${name}.marker`);
    const commits = commit(repo, gate);
    github.addRepository(full, repo.dir);
    const installationId = github.addInstallation('acme', [full]).id;
    const created = await server.api('POST', '/api/workspaces', { name, repositoryUrl: full });
    expect(created.status, created.text).toBe(201);
    return {
      start,
      commits,
      gate,
      async push(after: string, before?: string): Promise<string> {
        const payload = pushEvent(full, installationId, after, 'refs/heads/main', before);
        const delivery = await deliver(server.url, 'push', payload, github.webhookSecret);
        expect(delivery.status, JSON.stringify(delivery.json)).toBe(202);
        return delivery.json.jobs[0].job as string;
      },
      async rerunSuite(sha: string) {
        const suite = rerequestedSuite(full, installationId, sha, 'main');
        const rerun = await deliver(server.url, 'check_suite', suite, github.webhookSecret);
        expect(rerun.status, JSON.stringify(rerun.json)).toBe(202);
        return waitForJob(server, rerun.json.jobs[0].job as string);
      },
      completedRun: (job: string) =>
        eventually(
          async () =>
            github.checkRuns(full).find((r) => r.external_id === job && r.status === 'completed'),
          `the check run of job ${job} to complete`,
          30_000,
        ),
      deployments: () => github.deployments(full),
    };
  }

  const slowB = (repo: TestRepo, gate: string) => [
    repo.commit(helloJob('work', 'at A')),
    repo.commit({ ...helloJob('work', 'at B'), ...slowJob('gate', gate, 2500) }),
  ];

  /**
   * Commits A then B, B's push delivered first and deploying when A's comes. A's deploy takes
   * the workspace to B, not back to A, and its check run on A says so; a re-run of A's check
   * suite deploys A, as asked.
   */
  describe('while the newer push deploys', () => {
    let late: Awaited<ReturnType<typeof repository>>;
    let a: string;
    let b: string;
    beforeAll(async () => {
      late = await repository('late', slowB);
      [a, b] = late.commits as [string, string];
    });

    it("deploys the head, and A's check run and GitHub deployment say it did", async () => {
      const jobB = await late.push(b);
      await slowJobStarted(late.gate);
      const jobA = await late.push(a);
      expect((await waitForJob(server, jobB)).status).toBe('COMPLETE');
      const deployed = await waitForJob(server, jobA);
      const log = await jobLog(server, jobA);
      expect(deployed.status, log).toBe('COMPLETE');
      expect(deployed.commitId).toBe(b);
      expect(log).toContain(`commit ${a.slice(0, 12)} was pushed before ${b.slice(0, 12)}`);
      expect(log).not.toContain('at A');

      const run = await late.completedRun(jobA);
      expect(run).toMatchObject({ head_sha: a, conclusion: 'success' });
      expect(run.output.summary).toContain(
        `Deploy of **late** at \`${a.slice(0, 7)}\` (it deploys \`${b.slice(0, 7)}\`, the head of the branch, instead: GitHub delivered that push first)`,
      );
      const deployment = await eventually(
        async () =>
          late.deployments().find((d) => d.sha === a && d.statuses.at(-1)?.state === 'success'),
        "A's GitHub deployment to succeed",
      );
      expect(deployment.statuses.at(-1)?.description).toMatch(
        new RegExp(`^branch head ${b.slice(0, 7)} in place of this commit`),
      );
    });

    it("deploys B when B's check suite is re-run, though A's deploy deployed B too", async () => {
      const job = await late.rerunSuite(b);
      expect(job).toMatchObject({ status: 'COMPLETE', commitId: b });
      expect((await late.completedRun(job.id)).head_sha).toBe(b);
    });

    it('deploys A when its check suite is re-run: a re-run names its commit', async () => {
      const job = await late.rerunSuite(a);
      expect(job).toMatchObject({ status: 'COMPLETE', commitId: a });
      expect(await jobLog(server, job.id)).toContain('at A');
      const run = await late.completedRun(job.id);
      expect(run.output.summary).toContain(`Deploy of **late** at \`${a.slice(0, 7)}\`: `);
    });
  });

  /**
   * Commits A, B, C, B's push delivered first and deploying, C's queued behind it, A's last.
   * A's push does not cancel C's queued deploy: C was pushed on top of B, and B on top of A,
   * as their pushes' `before` say.
   */
  it("leaves a newer push's queued deploy be: its check run a success", async () => {
    const chain = await repository('chain', (repo, gate) => [
      ...slowB(repo, gate),
      repo.commit(helloJob('work', 'at C')),
    ]);
    const [a, b, c] = chain.commits as [string, string, string];
    const jobB = await chain.push(b, a);
    await slowJobStarted(chain.gate);
    const jobC = await chain.push(c, b);
    const jobA = await chain.push(a, chain.start);
    expect((await waitForJob(server, jobB)).status).toBe('COMPLETE');
    const deployedC = await waitForJob(server, jobC);
    expect([deployedC.status, deployedC.commitId]).toEqual(['COMPLETE', c]);
    expect(await jobLog(server, jobC)).toContain('at C');
    const deployedA = await waitForJob(server, jobA);
    expect([deployedA.status, deployedA.commitId]).toEqual(['COMPLETE', c]);

    expect(await chain.completedRun(jobC)).toMatchObject({ head_sha: c, conclusion: 'success' });
    const runA = await chain.completedRun(jobA);
    expect(runA).toMatchObject({ head_sha: a, conclusion: 'success' });
    expect(runA.output.summary).toContain(`(it deploys \`${c.slice(0, 7)}\``);
  });
});
