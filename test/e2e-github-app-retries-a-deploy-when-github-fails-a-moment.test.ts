import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { deliver, githubAppEnv, pushEvent } from './helpers/github-webhooks.js';
import { jobLog, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';

/**
 * A deploy of a GitHub repository first asks GitHub for an installation token. GitHub answering
 * that with a 5xx once (an outage of a moment) is retried after a backoff, as a failed fetch is
 * (DESIGN.md 4): the commit is not marked failed for it. A refusal that another try cannot mend
 * still fails at once.
 */
describe('a deploy rides out GitHub failing the installation token a moment', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    server = await startServer({ env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: REPO,
      branch: 'main',
    });
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  it('tries again after a 502 for the token, deploys, and reports success', async () => {
    // Two: the check-run reporter asks for a token too, and may ask first.
    github.inject({ method: 'POST', path: /\/access_tokens$/, status: 502, times: 2 });
    const sha = repo.head();
    const delivery = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, sha),
      github.webhookSecret,
    );
    expect(delivery.status).toBe(202);
    const id = delivery.json.jobs[0].job;
    const job = await waitForJob(server, id);
    const log = await jobLog(server, id);
    expect(job.status, log).toBe('COMPLETE');
    expect(job.attempt).toBe(1);
    // The error page GitHub sent is not quoted: its status is.
    expect(log).toContain(
      "could not get access to GitHub repository 'acme/shop': GitHub answered 502",
    );
    expect(log).not.toContain('<');
    const run = await eventually(
      async () =>
        github.checkRuns(REPO).find((r) => r.head_sha === sha && r.status === 'completed'),
      'the completed check run',
    );
    expect(run.conclusion).toBe('success');
  });
});
