import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob, slowJob } from './fixtures/tasks.js';
import { createRepo, git, manifest, type TestRepo } from './helpers/git.js';
import {
  aboutRepository,
  deliver,
  examplePayload,
  githubAppEnv,
  pushEvent,
  rerequestedRun,
} from './helpers/github-webhooks.js';
import {
  request as apiRequest,
  type Json,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';

describe('the GitHub App: deploy on push, plan on pull request, report as check runs and deployments', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let dataDir: string;
  const marks = mkdtempSync(path.join(os.tmpdir(), 'slipway-marks-'));

  /** Where people open Slipway: behind a proxy, not the address it listens on. */
  const PUBLIC_URL = 'https://slipway.example.com/ops';
  const appEnv = () => ({ ...githubAppEnv(github), SLIPWAY_PUBLIC_URL: `${PUBLIC_URL}/` });

  function push(after: string, ref = 'refs/heads/main'): Json {
    return pushEvent(REPO, installationId, after, ref);
  }

  /** The check run of job `id`, once it is completed. */
  function completedRunOf(id: string) {
    return eventually(
      async () =>
        github.checkRuns(REPO).find((r) => r.external_id === id && r.status === 'completed'),
      `the check run of job ${id} to be completed`,
    );
  }

  async function checkRun(headSha: string, name = 'Slipway / shop', status = 'completed') {
    return eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find((run) => run.head_sha === headSha && run.name === name && run.status === status),
      `check run "${name}" on ${headSha.slice(0, 7)} to be ${status}`,
      30_000,
    );
  }

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
    server = await startServer({ dataDir, env: appEnv() });
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

  it('deploys a signed push from the private repository and reports a successful check run and deployment', async () => {
    const sha = repo.head();
    const delivery = await deliver(server.url, 'push', push(sha), github.webhookSecret);
    expect(delivery.status, JSON.stringify(delivery.json)).toBe(202);
    expect(delivery.json.jobs).toEqual([
      { workspace: 'shop', job: expect.any(String), kind: 'deploy', created: true },
    ]);
    const job = await waitForJob(server, delivery.json.jobs[0].job);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: sha });

    const run = await checkRun(sha);
    expect(run).toMatchObject({ conclusion: 'success', external_id: job.id });
    expect(run.output.title).toMatch(/^1 created, 0 changed, 0 pruned in \d+\.\d s$/);
    expect(run.output.summary).toContain('| job | hello | created |');
    expect(run.output.text).toContain('hello from slipway');
    expect(run.history[0]?.method).toBe('POST');
    expect(github.checkRuns(REPO).filter((r) => r.head_sha === sha)).toHaveLength(1);
    // Details, and each deployment status's log, lead to the job's page at the public address.
    expect(run.details_url).toBe(`${PUBLIC_URL}/jobs/${job.id}`);

    const deployment = await eventually(
      async () =>
        github
          .deployments(REPO)
          .find((d) => d.sha === sha && d.statuses.at(-1)?.state === 'success'),
      'a successful GitHub deployment',
    );
    expect(deployment).toMatchObject({ environment: 'shop', ref: sha });
    expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    for (const status of deployment.statuses) {
      expect(status.log_url).toBe(`${PUBLIC_URL}/jobs/${job.id}`);
    }
    // The repository was fetched over git with the installation's token.
    expect(
      github.requests.some((r) => r.method === 'POST' && r.path.startsWith('/app/installations/')),
    ).toBe(true);
  });

  it('makes nothing new when GitHub redelivers the same delivery', async () => {
    const sha = repo.head();
    const before = (await server.api('GET', '/api/jobs?size=100')).json.page.totalElements;
    const runs = github.checkRuns(REPO).length;
    const payload = push(sha);
    const first = await deliver(server.url, 'push', payload, github.webhookSecret);
    await waitForJob(server, first.json.jobs[0].job);
    const again = await deliver(server.url, 'push', payload, github.webhookSecret, {
      id: first.id,
    });
    expect(again.status).toBe(202);
    expect(again.json.jobs).toEqual([{ ...first.json.jobs[0], created: false }]);
    expect((await server.api('GET', '/api/jobs?size=100')).json.page.totalElements).toBe(
      before + 1,
    );
    await eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find((r) => r.external_id === first.json.jobs[0].job && r.status === 'completed'),
      'the check run of the delivered deploy',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(github.checkRuns(REPO)).toHaveLength(runs + 1);
  });

  it('fails an invalid manifest with a failure check run annotated at its file and line', async () => {
    const sha = repo.commit({
      'tasks/broken/manifest.json': manifest({ name: 'broken', type: 'cronjob', cmd: ['true'] }),
    });
    const delivery = await deliver(server.url, 'push', push(sha), github.webhookSecret);
    await waitForJob(server, delivery.json.jobs[0].job);
    const run = await checkRun(sha);
    expect(run.conclusion).toBe('failure');
    expect(run.output.annotations).toEqual([
      expect.objectContaining({
        path: 'tasks/broken/manifest.json',
        start_line: 3,
        annotation_level: 'failure',
        message: expect.stringContaining('type'),
      }),
    ]);
    expect(run.output.summary).toContain('tasks/broken/manifest.json:3');
    const deployment = await eventually(
      async () =>
        github
          .deployments(REPO)
          .find((d) => d.sha === sha && d.statuses.at(-1)?.state === 'failure'),
      'a failed GitHub deployment',
    );
    expect(deployment.environment).toBe('shop');
    repo.commit({ 'tasks/broken/manifest.json': null });
  });

  it('plans a pull request: a plan check run of what would change, nothing applied', async () => {
    const marker = path.join(marks, 'extra-ran');
    git(repo.dir, 'checkout', '--quiet', '-b', 'feature');
    const head = repo.commit({
      'tasks/extra/manifest.json': manifest({
        name: 'extra',
        type: 'job',
        cmd: ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`],
      }),
    });
    git(repo.dir, 'checkout', '--quiet', 'main');
    const payload = aboutRepository(
      examplePayload('pull_request', 'opened', (p) => Boolean(p.installation)),
      REPO,
      installationId,
    );
    payload.pull_request.head.sha = head;
    payload.pull_request.head.ref = 'feature';
    payload.pull_request.base.ref = 'main';
    const delivery = await deliver(server.url, 'pull_request', payload, github.webhookSecret);
    expect(delivery.json.jobs).toEqual([
      { workspace: 'shop', job: expect.any(String), kind: 'plan', created: true },
    ]);
    const run = await checkRun(head, 'Slipway plan / shop');
    expect(run.conclusion).toBe('success');
    expect(run.output.title).toBe('Would create 1, change 0, prune 0');
    expect(run.output.summary).toContain('| job | extra | would be created |');
    expect(existsSync(marker)).toBe(false);
    expect(github.deployments(REPO).filter((d) => d.sha === head)).toEqual([]);

    const closed = aboutRepository(examplePayload('pull_request', 'closed'), REPO, installationId);
    const ignored = await deliver(server.url, 'pull_request', closed, github.webhookSecret);
    expect(ignored.json).toMatchObject({ jobs: [], ignored: expect.any(String) });
  });

  it('cancels the check run of a queued deploy a newer push supersedes, saying why', async () => {
    const slow = repo.commit(slowJob('slow', path.join(marks, 'slow'), 3000));
    const running = await deliver(server.url, 'push', push(slow), github.webhookSecret);
    await waitForJob(server, running.json.jobs[0].job, ['RUNNING']);
    const middle = repo.commit({ 'README.md': 'middle\n' });
    const queued = await deliver(server.url, 'push', push(middle), github.webhookSecret);
    const newest = repo.commit({ 'README.md': 'newest\n' });
    const last = await deliver(server.url, 'push', push(newest), github.webhookSecret);
    const stopped = await waitForJob(server, queued.json.jobs[0].job);
    expect(stopped.status).toBe('STOPPED');
    const cancelled = await checkRun(middle);
    expect(cancelled.conclusion).toBe('cancelled');
    expect(cancelled.output.summary).toContain(`superseded by job ${last.json.jobs[0].job}`);
    expect((await checkRun(newest)).conclusion).toBe('success');
    // The superseded deploy never ran: no GitHub deployment for it.
    expect(github.deployments(REPO).filter((d) => d.sha === middle)).toEqual([]);
  });

  it('deploys a commit again when its check run is re-run', async () => {
    const sha = repo.head();
    const original = await checkRun(sha);
    const payload = rerequestedRun(REPO, installationId, { ...original, head_sha: sha });
    const delivery = await deliver(server.url, 'check_run', payload, github.webhookSecret);
    expect(delivery.json.jobs).toHaveLength(1);
    const job = await waitForJob(server, delivery.json.jobs[0].job);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: sha });
    await completedRunOf(job.id);
  });

  it('deploys a commit again when its check run is re-run after its job was deleted', async () => {
    const sha = repo.head();
    const original = await checkRun(sha);
    const deleted = await server.api('DELETE', `/api/jobs/${original.external_id}`);
    expect(deleted.status, deleted.text).toBe(204);
    const rerun = (name: string) =>
      deliver(
        server.url,
        'check_run',
        rerequestedRun(REPO, installationId, { ...original, name, head_sha: sha }),
        github.webhookSecret,
      );
    const delivery = await rerun(original.name);
    expect(delivery.json.jobs, JSON.stringify(delivery.json)).toHaveLength(1);
    expect(delivery.json.jobs[0]).toMatchObject({ workspace: 'shop', kind: 'deploy' });
    const job = await waitForJob(server, delivery.json.jobs[0].job);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: sha });
    await completedRunOf(job.id);

    const stranger = await rerun('Some other CI / build');
    expect(stranger.json).toMatchObject({
      jobs: [],
      ignored: `check run ${original.id} ("Some other CI / build") is not one of Slipway's: no workspace of ${REPO} reports under that name`,
    });
  });

  it('reports a deploy asked over REST, of a given commit (a rollback) or of the head, as it reports a push', async () => {
    const earlier = repo.head();
    repo.commit({ 'README.md': 'later\n' });
    const workspaces = await server.api('GET', '/api/workspaces');
    const shop = workspaces.json._embedded.workspaces.find(
      (ws: { name: string }) => ws.name === 'shop',
    );
    const runs = github.checkRuns(REPO).filter((r) => r.head_sha === earlier).length;
    const queued = await server.api(
      'POST',
      `/api/workspaces/${shop.id}/deployments?commit=${earlier}`,
    );
    expect(queued.status).toBe(202);
    const job = await waitForJob(server, queued.json.id);
    expect(job).toMatchObject({ status: 'COMPLETE', commitId: earlier });
    const run = await completedRunOf(job.id);
    expect(run).toMatchObject({ name: 'Slipway / shop', head_sha: earlier, conclusion: 'success' });
    expect(github.checkRuns(REPO).filter((r) => r.head_sha === earlier)).toHaveLength(runs + 1);
    const deployment = await eventually(
      async () =>
        github
          .deployments(REPO)
          .filter((d) => d.sha === earlier && d.statuses.at(-1)?.state === 'success')
          .at(-1),
      'the GitHub deployment of the REST deploy',
    );
    expect(deployment).toMatchObject({ environment: 'shop', ref: earlier });

    // The branch head is known only once the deploy fetched it: its report comes from then on,
    // here when it ended.
    const head = await server.api('POST', `/api/workspaces/${shop.id}/deployments`);
    const headJob = await waitForJob(server, head.json.id);
    expect(headJob).toMatchObject({ status: 'COMPLETE', commitId: repo.head() });
    const headRun = await eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find((r) => r.external_id === headJob.id && r.status === 'completed'),
      'the check run of the REST deploy of the head',
    );
    expect(headRun).toMatchObject({ head_sha: repo.head(), conclusion: 'success' });
    const headDeployment = await eventually(
      async () =>
        github
          .deployments(REPO)
          .find((d) => d.sha === repo.head() && d.statuses.at(-1)?.state === 'success'),
      'the GitHub deployment of the REST deploy of the head',
    );
    expect(headDeployment).toMatchObject({ environment: 'shop' });

    // A commit someone other than the owner names is reported on once proven on the branch: a
    // check run on a commit from anywhere could be re-run on GitHub, which deploys what it names.
    git(repo.dir, 'checkout', '--quiet', '-b', 'fork');
    const forked = repo.commit({ 'README.md': 'from a fork\n' });
    git(repo.dir, 'checkout', '--quiet', 'main');
    git(repo.dir, 'branch', '--quiet', '-D', 'fork');
    const asEve = (commit: string) =>
      apiRequest(
        `${server.url}/api/workspaces/${shop.id}/deployments?commit=${commit}`,
        'POST',
        undefined,
        {
          identity: 'eve@example.com',
        },
      );
    const refused = await asEve(forked);
    expect((await waitForJob(server, refused.json.id)).status).toBe('ERROR');
    const proven = await asEve(earlier);
    const provenJob = await waitForJob(server, proven.json.id);
    expect(provenJob.status).toBe('COMPLETE');
    expect(await completedRunOf(provenJob.id)).toMatchObject({ head_sha: earlier });
    expect(github.checkRuns(REPO).filter((r) => r.head_sha === forked)).toEqual([]);
    expect(github.deployments(REPO).filter((d) => d.sha === forked)).toEqual([]);
  });

  it('records installation events: a repository they name deploys with that installation, and a re-run suite deploys again', async () => {
    const other = createRepo(helloJob('other', 'hello from other'));
    try {
      github.addRepository('acme/other', other.dir);
      const second = github.addInstallation('acme', ['acme/other']).id;
      const installed = examplePayload('installation', 'created');
      installed.installation = { ...installed.installation, id: second };
      installed.installation.account = { ...installed.installation.account, login: 'acme' };
      installed.repositories = [
        { ...installed.repositories[0], name: 'other', full_name: 'acme/other' },
      ];
      const recorded = await deliver(server.url, 'installation', installed, github.webhookSecret);
      expect(recorded.json).toMatchObject({
        jobs: [],
        ignored: `installation ${second} created: recorded`,
      });

      const workspace = await server.api('POST', '/api/workspaces', {
        name: 'other',
        repositoryUrl: 'acme/other',
      });
      expect(workspace.status).toBe(201);
      const deploy = await server.api(
        'POST',
        `/api/workspaces/${workspace.json.id}/deployments`,
        {},
      );
      const job = await waitForJob(server, deploy.json.id);
      expect(job.status, JSON.stringify(job)).toBe('COMPLETE');
      // The installation came from the event: nobody had to ask GitHub which one it is.
      expect(github.requests.some((r) => r.path === '/repos/acme/other/installation')).toBe(false);
      expect(
        github.requests.some((r) => r.path === `/app/installations/${second}/access_tokens`),
      ).toBe(true);

      const suite = aboutRepository(
        examplePayload('check_suite', 'rerequested'),
        'acme/other',
        second,
      );
      suite.check_suite.head_branch = 'main';
      suite.check_suite.head_sha = other.head();
      const rerun = await deliver(server.url, 'check_suite', suite, github.webhookSecret);
      expect(rerun.json.jobs).toEqual([
        { workspace: 'other', job: expect.any(String), kind: 'deploy', created: true },
      ]);
      expect((await waitForJob(server, rerun.json.jobs[0].job)).status).toBe('COMPLETE');
      const run = await eventually(
        async () =>
          github
            .checkRuns('acme/other')
            .find((r) => r.name === 'Slipway / other' && r.status === 'completed'),
        'the check run of the re-run suite',
      );
      expect(run.conclusion).toBe('success');
    } finally {
      other.cleanup();
    }
  });

  it("refuses a signed payload unlike GitHub's with a 400 naming the field, and logs no payload", async () => {
    const before = (await server.api('GET', '/api/jobs?size=1')).json.page.totalElements;
    const valid = push(repo.head());
    const marker = 'PAYLOAD-MARKER-7f3a';
    const cases: [string, Json, string][] = [
      ['push', { ...valid, ref: 7, marker }, '"ref" is 7; expected a ref such as refs/heads/main'],
      ['push', { ...valid, after: 'abc' }, '"after" is "abc"; expected a 40-character commit id'],
      // The sender is told the value; the log names only the field.
      [
        'push',
        { ...valid, after: `ghp_${marker}` },
        `"after" is "ghp_${marker}"; expected a 40-character commit id`,
      ],
      [
        'push',
        { ...valid, repository: undefined },
        '"repository" is missing; expected the repository, an object with its full_name',
      ],
      ['push', [], 'expected a JSON object'],
      ['push', null, 'expected a JSON object'],
      [
        'check_run',
        { action: 'rerequested' },
        '"check_run" is missing; expected the check run, an object',
      ],
      [
        'repository',
        { action: 'renamed', repository: valid.repository },
        '"changes.repository.name.from" is missing; expected the former name',
      ],
      [
        'repository',
        { action: 'transferred', repository: valid.repository, changes: { owner: { from: {} } } },
        '"changes.owner.from" is missing; expected the former owner, a user or organization',
      ],
      [
        'installation',
        { action: 'created' },
        '"installation" is missing; expected the installation, an object with its id',
      ],
      [
        'installation',
        { action: 'created', installation: { id: 'abc' } },
        '"installation.id" is "abc"; expected the installation id, a number',
      ],
      [
        'installation_repositories',
        { action: 'added', installation: { id: 1 } },
        '"repositories_added" is missing; expected an array of repositories',
      ],
    ];
    for (const [event, payload, problem] of cases) {
      const answer = await deliver(server.url, event, payload, github.webhookSecret);
      expect(answer.status, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toBe(400);
      expect(answer.json.message).toBe(`the ${event} payload is not one GitHub sends: ${problem}`);
    }
    expect((await server.api('GET', '/api/jobs?size=1')).json.page.totalElements).toBe(before);
    expect(server.output.filter((line) => line.includes(marker))).toEqual([]);
    expect(server.logs().filter((l) => Number(l.level) >= 50)).toEqual([]);
    const refused = server.logs().filter((l) => l.msg === 'webhook refused: malformed payload');
    expect(refused.map((l) => l.field)).toContain('after');
  });

  it('refuses a bad signature with 401 and an oversized body with 413, queuing nothing', async () => {
    const before = (await server.api('GET', '/api/jobs?size=1')).json.page.totalElements;
    const forged = await deliver(server.url, 'push', push(repo.head()), 'not-the-secret');
    expect(forged.status).toBe(401);
    expect(forged.json.message).toContain('X-Hub-Signature-256 does not match');
    const unsigned = await deliver(server.url, 'push', push(repo.head()), github.webhookSecret, {
      signature: '',
    });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.message).toContain('X-Hub-Signature-256 header is missing');
    const oversized = (delivery: string) => ({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': 'sha256=00',
    });
    const huge = await fetch(`${server.url}/api/github/webhooks`, {
      method: 'POST',
      headers: oversized('big'),
      body: `{"pad":"${'x'.repeat(26 * 1024 * 1024)}"}`,
    });
    expect(huge.status).toBe(413);
    // Sent in chunks, with no Content-Length to check, the body is counted as it arrives.
    const chunked = await new Promise<number>((resolve, reject) => {
      const outgoing = request(`${server.url}/api/github/webhooks`, {
        method: 'POST',
        headers: oversized('big-chunked'),
      });
      outgoing.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      // A failed send before any answer fails the test; one after the 413 changes nothing.
      outgoing.on('error', reject);
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 26; i++) outgoing.write(chunk);
      outgoing.end();
    });
    expect(chunked).toBe(413);
    expect((await server.api('GET', '/api/jobs?size=1')).json.page.totalElements).toBe(before);
    const logged = server.output.join('\n');
    expect(logged).not.toContain('Codertocat');
    expect(logged).not.toContain(github.privateKey.split('\n')[1]);
  });

  it('rides out GitHub 5xx answers and a secondary rate limit, reporting each change once', async () => {
    const sha = repo.commit({ 'README.md': 'flaky github\n' });
    github.inject({ method: 'POST', path: '/repos/acme/shop/check-runs', status: 502, times: 2 });
    github.inject({
      method: 'POST',
      path: '/repos/acme/shop/check-runs',
      secondaryRateLimit: true,
    });
    github.inject({
      method: 'POST',
      path: /^\/repos\/acme\/shop\/deployments\/\d+\/statuses$/,
      status: 503,
    });
    const seen = github.requests.length;
    const delivery = await deliver(server.url, 'push', push(sha), github.webhookSecret);
    await waitForJob(server, delivery.json.jobs[0].job);
    const run = await checkRun(sha);
    expect(run.conclusion).toBe('success');
    expect(github.checkRuns(REPO).filter((r) => r.head_sha === sha)).toHaveLength(1);
    const calls = github.requests
      .slice(seen)
      .filter((r) => r.path.includes('/check-runs') && r.method !== 'GET')
      .map((r) => `${r.method} ${r.status}`);
    // Meanwhile the job finished: the check run is made once, in its final state.
    expect(calls).toEqual(['POST 502', 'POST 502', 'POST 403', 'POST 201']);
    expect(run.history).toHaveLength(1);
    const deployment = await eventually(
      async () =>
        github
          .deployments(REPO)
          .find((d) => d.sha === sha && d.statuses.at(-1)?.state === 'success'),
      'the deployment to succeed despite a 503',
    );
    // The in_progress status met the 503; by its retry the deploy may have ended, and then
    // only the final status is worth sending. Never one after it.
    expect(deployment.statuses.map((s) => s.state).filter((s) => s !== 'in_progress')).toEqual([
      'success',
    ]);
  });

  it('after a SIGKILL between the job ending and the check run update, ends with exactly one completed check run', async () => {
    const sha = repo.commit({ 'README.md': 'crash\n' });
    github.inject({
      method: 'PATCH',
      path: /^\/repos\/acme\/shop\/check-runs\/\d+$/,
      hold: true,
      times: 1,
    });
    // Earlier tests updated check runs too: only a request of this push counts.
    const earlier = github.requests.length;
    const delivery = await deliver(server.url, 'push', push(sha), github.webhookSecret);
    const job = await waitForJob(server, delivery.json.jobs[0].job);
    expect(job.status).toBe('COMPLETE');
    // The in_progress or completed update is held at GitHub: Slipway dies waiting for it.
    await eventually(
      async () =>
        github.requests
          .slice(earlier)
          .some((r) => r.method === 'PATCH' && r.path.includes('/check-runs/'))
          ? true
          : undefined,
      'a held check run update',
    );
    await server.kill();
    // The held request is never answered nor applied: only the restarted Slipway can finish the
    // report, from its outbox.
    const before = github.checkRuns(REPO).find((r) => r.head_sha === sha);
    expect(before?.status).not.toBe('completed');
    server = await startServer({ dataDir, env: appEnv() });
    const run = await checkRun(sha);
    expect(run.conclusion).toBe('success');
    expect(github.checkRuns(REPO).filter((r) => r.head_sha === sha)).toHaveLength(1);
  });
});
