import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { githubAppEnv } from './helpers/github-webhooks.js';
import { type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';

// A push whose webhook never arrived (nor its redelivery) is found by polling: its deploy must
// tell GitHub how it went as a push's does, or the commit shows no check run at all.
describe('a deploy that branch polling queued, of a repository the GitHub App is on', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    github.addRepository(REPO, repo.dir);
    github.addInstallation('acme', [REPO]);
    // No webhook URL: GitHub's pushes never reach Slipway; only polling finds them.
    server = await startServer({ env: { ...githubAppEnv(github), SLIPWAY_POLL_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  it('gets its check run and GitHub deployment, as a push would', async () => {
    const created = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: REPO,
    });
    expect(created.status, created.text).toBe(201);
    const first = repo.head();
    const run = (commit: string) =>
      eventually(
        () =>
          github
            .checkRuns(REPO)
            .find(
              (r) =>
                r.head_sha === commit && r.status === 'completed' && r.name === 'Slipway / shop',
            ),
        `a completed check run on ${commit.slice(0, 7)}`,
        30_000,
      );
    expect((await run(first)).conclusion).toBe('success');

    const pushed = repo.commit({ 'README.md': 'a push whose webhook was lost' });
    expect((await run(pushed)).conclusion).toBe('success');
    const deployment = await eventually(
      () => github.deployments(REPO).find((d) => d.sha === pushed),
      `a GitHub deployment of ${pushed.slice(0, 7)}`,
    );
    expect(deployment.environment).toBe('shop');
  });
});
