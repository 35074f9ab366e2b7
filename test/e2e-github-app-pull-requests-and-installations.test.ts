import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, git, manifest, type TestRepo } from './helpers/git.js';
import {
  aboutRepository,
  deliver,
  examplePayload,
  githubAppEnv,
  pushEvent,
  rerequestedSuite,
} from './helpers/github-webhooks.js';
import { type Json, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/site';

describe('the GitHub App: plans of several pull requests, re-run suites, and installations that changed unseen', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;

  /** A branch `name` off main with one more job task; returns its head commit. */
  function branch(name: string): string {
    git(repo.dir, 'checkout', '--quiet', '-b', name, 'main');
    const head = repo.commit({
      [`tasks/${name}/manifest.json`]: manifest({
        name,
        type: 'job',
        cmd: ['node', '-e', 'console.log("planned")'],
      }),
    });
    git(repo.dir, 'checkout', '--quiet', 'main');
    return head;
  }

  function pullRequest(number: number, headRef: string, headSha: string): Json {
    const payload = aboutRepository(
      examplePayload('pull_request', 'opened', (p) => Boolean(p.installation)),
      REPO,
      installationId,
    );
    payload.number = number;
    payload.pull_request.number = number;
    payload.pull_request.head.sha = headSha;
    payload.pull_request.head.ref = headRef;
    payload.pull_request.base.ref = 'main';
    return payload;
  }

  async function completedRun(headSha: string, name: string) {
    return eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find(
            (run) => run.head_sha === headSha && run.name === name && run.status === 'completed',
          ),
      `check run "${name}" on ${headSha.slice(0, 7)} to complete`,
      30_000,
    );
  }

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
    server = await startServer({ dataDir, env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'site',
      repositoryUrl: REPO,
    });
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  it('plans pull requests opened together, each in its own check run, none cancelling another', async () => {
    const heads = [branch('one'), branch('two'), branch('three')];
    const deliveries = [];
    for (const [index, head] of heads.entries()) {
      const payload = pullRequest(index + 2, ['one', 'two', 'three'][index] ?? '', head);
      deliveries.push(await deliver(server.url, 'pull_request', payload, github.webhookSecret));
    }
    const jobs = await Promise.all(
      deliveries.map((d) => waitForJob(server, d.json.jobs[0].job as string)),
    );
    expect(jobs.map((job) => [job.status, job.message])).toEqual(
      jobs.map((job) => ['COMPLETE', job.message]),
    );
    for (const head of heads) {
      expect((await completedRun(head, 'Slipway plan / site')).conclusion).toBe('success');
    }

    // A newer push to one pull request still replaces its own queued plan.
    const synchronize = pullRequest(2, 'one', heads[0] ?? '');
    synchronize.action = 'synchronize';
    const again = await deliver(server.url, 'pull_request', synchronize, github.webhookSecret);
    expect(again.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);

    // A closed pull request plans nothing; with no preview to remove, the delivery says so.
    const closed = pullRequest(3, 'two', heads[1] ?? '');
    closed.action = 'closed';
    const ignored = await deliver(server.url, 'pull_request', closed, github.webhookSecret);
    expect(ignored.json).toMatchObject({
      jobs: [],
      ignored: 'pull request #3 closed; it had no preview',
    });
    // An action Slipway leaves alone is named.
    const assigned = pullRequest(3, 'two', heads[1] ?? '');
    assigned.action = 'assigned';
    const left = await deliver(server.url, 'pull_request', assigned, github.webhookSecret);
    expect(left.json).toMatchObject({
      jobs: [],
      ignored: 'Slipway does nothing on pull_request.assigned',
    });
  });

  it('re-runs a pull request suite as plans of that pull request, also when Slipway never reported on its commit', async () => {
    const head = branch('four');
    const opened = await deliver(
      server.url,
      'pull_request',
      pullRequest(5, 'four', head),
      github.webhookSecret,
    );
    await waitForJob(server, opened.json.jobs[0].job as string);
    const suite = rerequestedSuite(REPO, installationId, head, 'four');
    const rerun = await deliver(server.url, 'check_suite', suite, github.webhookSecret);
    expect(rerun.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    const job = await waitForJob(server, rerun.json.jobs[0].job as string);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: head });
    expect(job.result.plan).toBe(true);
    await eventually(
      async () =>
        github.checkRuns(REPO).find((r) => r.external_id === job.id && r.status === 'completed'),
      'the re-run plan check run',
    );

    // A suite whose commit Slipway never reported on: what its push and pull requests would do.
    const other = branch('five');
    const fresh = rerequestedSuite(REPO, installationId, other, 'five', [
      { number: 6, head: { ref: 'five', sha: other }, base: { ref: 'main', sha: repo.head() } },
    ]);
    const planned = await deliver(server.url, 'check_suite', fresh, github.webhookSecret);
    expect(planned.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(planned.json.ignored).toBeUndefined();
  });

  it('deploys through the installation the repository has now, when GitHub never said the old one went, and says when it is suspended', async () => {
    // Known installation from the events so far; now the App is uninstalled and installed again
    // on the account, and neither event reaches Slipway.
    github.removeInstallation(installationId);
    const reinstalled = github.addInstallation('acme', [REPO]).id;
    const workspaces = await server.api('GET', '/api/workspaces');
    const site = workspaces.json._embedded.workspaces[0];
    const deploy = await server.api('POST', `/api/workspaces/${site.id}/deployments`);
    const job = await waitForJob(server, deploy.json.id);
    expect(job.status, job.message).toBe('COMPLETE');
    expect(
      github.requests.some(
        (r) => r.path === `/app/installations/${reinstalled}/access_tokens` && r.status === 201,
      ),
    ).toBe(true);

    // An event through a third installation makes it the repository's at once: no lookup.
    github.removeInstallation(reinstalled);
    const third = github.addInstallation('acme', [REPO]).id;
    const lookups = github.requests.filter((r) => r.path === `/repos/${REPO}/installation`).length;
    const delivered = await deliver(
      server.url,
      'push',
      pushEvent(REPO, third, repo.head()),
      github.webhookSecret,
    );
    const pushed = await waitForJob(server, delivered.json.jobs[0].job as string);
    expect(pushed.status, pushed.message).toBe('COMPLETE');
    expect(github.requests.filter((r) => r.path === `/repos/${REPO}/installation`)).toHaveLength(
      lookups,
    );

    // The account suspends the App: a deploy says so, and what to do; lifted, deploys go on.
    github.suspendInstallation(third);
    const refused = await server.api('POST', `/api/workspaces/${site.id}/deployments`);
    const failed = await waitForJob(server, refused.json.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.message).toContain(
      "the GitHub App is suspended on acme: lift the suspension in the account's settings",
    );
    github.suspendInstallation(third, false);
    const lifted = await server.api('POST', `/api/workspaces/${site.id}/deployments`);
    expect((await waitForJob(server, lifted.json.id)).status).toBe('COMPLETE');
  });

  it('follows the repository renamed, then moved to another owner, and deploys its pushes', async () => {
    /** GitHub's id of the repository: it keeps it through its renames. */
    const REPOSITORY_ID = 7_700_001;
    const installation = github.addInstallation('acme', [REPO]).id;
    const site = async () =>
      (await server.api('GET', '/api/workspaces')).json._embedded.workspaces[0];
    const { id } = await site();
    /** GitHub's `repository` event `action` about `fullName` now, with its `changes`. */
    const repositoryEvent = (action: string, fullName: string, changes: Json) => {
      const payload = aboutRepository(
        examplePayload('repository', action, (p) => Boolean(p.installation)),
        fullName,
        installation,
      );
      payload.changes = changes;
      payload.repository.id = REPOSITORY_ID;
      return deliver(server.url, 'repository', payload, github.webhookSecret);
    };
    /** A push of the head under `fullName`, of the repository with GitHub id `repositoryId`. */
    const pushAs = (fullName: string, repositoryId = REPOSITORY_ID) => {
      const payload = pushEvent(fullName, installation, repo.head());
      payload.repository.id = repositoryId;
      return deliver(server.url, 'push', payload, github.webhookSecret);
    };

    github.renameRepository(REPO, 'acme/web');
    const followed = await repositoryEvent('renamed', 'acme/web', {
      repository: { name: { from: 'site' } },
    });
    expect(followed.status).toBe(202);
    expect(followed.json.ignored).toBe(
      "repository acme/site is now acme/web: workspace(s) 'site' now name it so",
    );
    expect((await site()).repositoryUrl).toBe('acme/web');
    // A push made just before the rename, delivered after it, still names the former name.
    for (const name of ['acme/site', 'acme/web']) {
      const delivered = await pushAs(name);
      expect(delivered.json.jobs, name).toEqual([
        { workspace: 'site', job: expect.any(String), kind: 'deploy', created: true },
      ]);
      const pushed = await waitForJob(server, delivered.json.jobs[0].job as string);
      expect(pushed.status, pushed.message).toBe('COMPLETE');
      await eventually(
        async () =>
          github
            .checkRuns('acme/web')
            .find((run) => run.external_id === pushed.id && run.status === 'completed'),
        `the check run of the push to ${name} on acme/web to complete`,
      );
    }
    // Another repository that took the former name up is not the one renamed.
    const taken = await pushAs('acme/site', REPOSITORY_ID + 1);
    expect(taken.json).toMatchObject({
      jobs: [],
      ignored: 'no workspace deploys acme/site branch main',
    });

    github.renameRepository('acme/web', 'beta/web');
    const moved = await repositoryEvent('transferred', 'beta/web', {
      owner: { from: { organization: { login: 'acme' } } },
    });
    expect(moved.json.ignored).toBe(
      "repository acme/web is now beta/web: workspace(s) 'site' now name it so",
    );
    expect((await site()).repositoryUrl).toBe('beta/web');
    const deploy = await server.api('POST', `/api/workspaces/${id}/deployments`);
    const job = await waitForJob(server, deploy.json.id);
    expect(job.status, job.message).toBe('COMPLETE');

    // A transfer that renames too names the former name in `changes.repository`.
    github.renameRepository('beta/web', 'gamma/www');
    const followedBoth = await repositoryEvent('transferred', 'gamma/www', {
      owner: { from: { user: { login: 'beta' } } },
      repository: { name: { from: 'web' } },
    });
    expect(followedBoth.json.ignored).toBe(
      "repository beta/web is now gamma/www: workspace(s) 'site' now name it so",
    );
    expect((await site()).repositoryUrl).toBe('gamma/www');

    // A rename naming no workspace's repository changes nothing, and says so.
    const none = await repositoryEvent('renamed', 'beta/blog', {
      repository: { name: { from: 'journal' } },
    });
    expect(none.json.ignored).toBe(
      'repository beta/journal is now beta/blog: no workspace names it',
    );
    expect((await site()).repositoryUrl).toBe('gamma/www');
  });
});
