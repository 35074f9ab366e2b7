import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { slipway } from './helpers/cli.js';
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
  dashboardPage,
  type Json,
  jobLog,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/site';

/** A deployment that writes its pid to `<dir>/<namespace>_<name>` and runs until stopped. */
function keeper(dir: string): Record<string, string> {
  const script = `
const fs = require('node:fs');
const file = ${JSON.stringify(dir)} + '/' + process.env.SLIPWAY_WORKLOAD.replace('/', '_');
fs.writeFileSync(file, String(process.pid));
setInterval(() => {}, 1000);
`;
  return {
    'tasks/keeper/manifest.json': manifest({
      name: 'keeper',
      type: 'deployment',
      cmd: ['node', 'keeper.js'],
    }),
    'tasks/keeper/keeper.js': script,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pull request previews: a workspace of its own per pull request, deployed until it closes', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let markers: string;
  let site: Json;
  let dataDir: string;

  /** A branch `name` off main with one more job task; returns its head commit. */
  function branch(name: string): string {
    git(repo.dir, 'checkout', '--quiet', '-b', name, 'main');
    const head = repo.commit(helloJob(`${name}-job`, `hello from ${name}`));
    git(repo.dir, 'checkout', '--quiet', 'main');
    return head;
  }

  /**
   * A branch `name` off main with a deployment that ignores SIGTERM: it holds its removal for
   * the runtime's grace time. Returns its head commit.
   */
  function stubbornBranch(name: string): string {
    git(repo.dir, 'checkout', '--quiet', '-b', name, 'main');
    const head = repo.commit({
      [`tasks/${name}/manifest.json`]: manifest({
        name,
        type: 'deployment',
        cmd: ['node', '-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
      }),
    });
    git(repo.dir, 'checkout', '--quiet', 'main');
    return head;
  }

  function pullRequest(action: string, number: number, headRef: string, headSha: string): Json {
    const payload = aboutRepository(
      examplePayload('pull_request', 'opened', (p) => Boolean(p.installation)),
      REPO,
      installationId,
    );
    payload.action = action;
    payload.number = number;
    payload.pull_request.number = number;
    payload.pull_request.head.sha = headSha;
    payload.pull_request.head.ref = headRef;
    payload.pull_request.head.repo.full_name = REPO;
    payload.pull_request.base.ref = 'main';
    // Each event says when the pull request last changed, as GitHub's do.
    payload.pull_request.updated_at = new Date().toISOString();
    return payload;
  }

  /** Delivers a `pull_request` event of `action` (see `pullRequest`). */
  function sendPull(action: string, number: number, headRef: string, headSha: string) {
    return deliver(
      server.url,
      'pull_request',
      pullRequest(action, number, headRef, headSha),
      github.webhookSecret,
    );
  }

  async function workspaceNamed(name: string): Promise<Json | undefined> {
    const list = await server.api('GET', '/api/workspaces?size=100');
    return list.json._embedded.workspaces.find((w: Json) => w.name === name);
  }

  function keeperPid(workload: string): Promise<number> {
    const file = path.join(markers, workload.replace('/', '_'));
    return eventually(
      () => (existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined),
      `${workload} to write its pid`,
    );
  }

  beforeAll(async () => {
    markers = mkdtempSync(path.join(os.tmpdir(), 'slipway-previews-'));
    github = await startGitHubApiServer();
    repo = createRepo(keeper(markers));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    // The sender of GitHub's example events may push; a preview runs what it pushed.
    github.setCollaborator(REPO, 'Codertocat', 'write');
    github.setCollaborator(REPO, 'reader', 'triage');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
    server = await startServer({ dataDir, env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'site',
      repositoryUrl: REPO,
      previews: true,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ previews: true, preview: null });
    site = created.json;
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  it("deploys the pull request's branch to a workspace of its own, keeps it deployed on pushes, and removes it when the pull request closes", async () => {
    const head = branch('feature');
    const openedEvent = pullRequest('opened', 7, 'feature', head);
    const opened = await deliver(server.url, 'pull_request', openedEvent, github.webhookSecret);
    expect(opened.status, JSON.stringify(opened.json)).toBe(202);
    expect(opened.json.previews).toEqual([{ workspace: 'site-pr-7', action: 'made' }]);
    expect(opened.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
      { workspace: 'site-pr-7', job: expect.any(String), kind: 'deploy', created: true },
    ]);
    const deploy = await waitForJob(server, opened.json.jobs[1].job);
    expect(deploy).toMatchObject({ status: 'COMPLETE', commitId: head });
    const pid = await keeperPid('site-pr-7/keeper');
    expect(alive(pid)).toBe(true);
    expect((await server.api('GET', '/v1/list/namespaces')).json.namespaces).toContain('site-pr-7');

    const preview = await workspaceNamed('site-pr-7');
    expect(preview).toMatchObject({
      branch: 'feature',
      namespace: 'site-pr-7',
      alias: 'site-pr-7',
      previews: false,
      preview: { of: site.id, pullRequest: 7, repository: REPO, closed: null },
    });
    expect(preview._links['preview of'].href).toMatch(new RegExp(`/api/workspaces/${site.id}$`));
    const row = (await dashboardPage(server)).split(`data-workspace-id="${preview.id}"`)[1] ?? '';
    expect(row.slice(0, row.indexOf('</tr>'))).toContain('preview of pull request #7 of site');
    const listed = await slipway(['workspace', 'list', '--output', 'table'], {
      env: { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: server.adminToken },
    });
    expect(listed.stdout).toMatch(/^site-pr-7 +site-pr-7 +feature \(PR #7\) +READY/m);
    const run = await eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find(
            (r) =>
              r.head_sha === head && r.name === 'Slipway / site-pr-7' && r.status === 'completed',
          ),
      'the preview check run to complete',
    );
    expect(run.conclusion).toBe('success');
    await eventually(
      async () =>
        github
          .deployments(REPO)
          .find((d) => d.environment === 'site-pr-7' && d.statuses.at(-1)?.state === 'success'),
      'the preview GitHub deployment to succeed',
    );

    // GitHub redelivering the event makes nothing new.
    const again = await deliver(server.url, 'pull_request', openedEvent, github.webhookSecret, {
      id: opened.id,
    });
    expect(again.json.jobs.map((j: Json) => [j.job, j.created])).toEqual(
      opened.json.jobs.map((j: Json) => [j.job, false]),
    );
    expect(again.json.previews).toBeUndefined();

    // A push to the pull request's branch deploys the preview; its synchronize plans only.
    git(repo.dir, 'checkout', '--quiet', 'feature');
    const next = repo.commit(helloJob('feature-job', 'hello again'));
    git(repo.dir, 'checkout', '--quiet', 'main');
    const pushed = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, next, 'refs/heads/feature', head),
      github.webhookSecret,
    );
    expect(pushed.json.jobs).toEqual([
      { workspace: 'site-pr-7', job: expect.any(String), kind: 'deploy', created: true },
    ]);
    const synchronized = await sendPull('synchronize', 7, 'feature', next);
    expect(synchronized.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(await waitForJob(server, pushed.json.jobs[0].job)).toMatchObject({
      status: 'COMPLETE',
      commitId: next,
    });

    // A preview has no previews of its own.
    const refused = await server.api('PUT', `/api/workspaces/${preview.id}`, { previews: true });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toContain('"previews" is true; expected false');
    expect(refused.json.message).toContain('preview of pull request #7');

    // Closed (merged or not): the preview goes, with what it ran.
    const closed = await sendPull('closed', 7, 'feature', next);
    expect(closed.json).toMatchObject({
      jobs: [],
      previews: [{ workspace: 'site-pr-7', action: 'removing' }],
    });
    await eventually(
      async () =>
        (await server.api('GET', `/api/workspaces/${preview.id}`)).status === 404 || undefined,
      'the preview workspace to be removed',
    );
    await eventually(() => !alive(pid) || undefined, 'the preview workload to stop');
    // Its namespace went with it.
    const namespaces = await server.api('GET', '/v1/list/namespaces');
    expect(namespaces.json.namespaces).not.toContain('site-pr-7');
    // GitHub shows nothing running in its environment any more.
    const latest = () => github.deployments(REPO).filter((d) => d.environment === 'site-pr-7');
    expect(latest().map((d) => d.sha)).toEqual([head, next]);
    const retired = await eventually(
      async () => latest().find((d) => d.sha === next && d.statuses.at(-1)?.state === 'inactive'),
      "the preview's latest GitHub deployment to go inactive",
    );
    expect(retired.statuses.map((s) => s.state)).toEqual(['in_progress', 'success', 'inactive']);
    expect(retired.statuses.at(-1)?.description).toBe('workspace site-pr-7 was removed');
    // The workspace it previewed stays, with its previews on.
    expect((await server.api('GET', `/api/workspaces/${site.id}`)).json.previews).toBe(true);

    // Its branch deploys nothing any more; the close redelivered finds nothing to remove.
    const late = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, next, 'refs/heads/feature', head),
      github.webhookSecret,
    );
    expect(late.json).toMatchObject({
      jobs: [],
      ignored: `no workspace deploys ${REPO} branch feature`,
    });
    // The opened event delivered again after the close (GitHub's, or Slipway's own asking for
    // deliveries that failed) makes no preview: the pull request closed after it was sent.
    const redelivered = await deliver(
      server.url,
      'pull_request',
      openedEvent,
      github.webhookSecret,
      { id: opened.id },
    );
    expect(redelivered.json.previews).toEqual([
      {
        refused: expect.stringMatching(
          /^pull request #7 closed \(updated .+\) after this event was sent \(updated .+\): GitHub delivered it late; no preview$/,
        ),
      },
    ]);
    expect(redelivered.json.jobs).toEqual([
      { workspace: 'site', job: opened.json.jobs[0].job, kind: 'plan', created: false },
    ]);
    expect(await workspaceNamed('site-pr-7')).toBeUndefined();
    // A re-run of the removed preview's check run deploys nothing, and says why.
    const rerun = rerequestedRun(REPO, installationId, { ...run, head_sha: head });
    const rerunAfter = await deliver(server.url, 'check_run', rerun, github.webhookSecret);
    expect(rerunAfter.status).toBe(202);
    expect(rerunAfter.json).toMatchObject({
      jobs: [],
      ignored: `check run ${run.id} ("Slipway / site-pr-7") reported on a workspace since deleted (a pull request's preview goes when it closes); nothing to deploy`,
    });
    const closedAgain = await sendPull('closed', 7, 'feature', next);
    expect(closedAgain.json).toMatchObject({
      jobs: [],
      ignored: 'pull request #7 closed; it had no preview',
    });
  });

  it('deploys the branch head when the opened event comes after a newer synchronize', async () => {
    const first = branch('reorder');
    git(repo.dir, 'checkout', '--quiet', 'reorder');
    const second = repo.commit(helloJob('reorder-job', 'second'));
    git(repo.dir, 'checkout', '--quiet', 'main');
    const synchronized = await sendPull('synchronize', 10, 'reorder', second);
    expect(synchronized.json.previews).toEqual([{ workspace: 'site-pr-10', action: 'made' }]);
    const newer = await waitForJob(server, synchronized.json.jobs[1].job);
    expect(newer).toMatchObject({ status: 'COMPLETE', commitId: second });
    // GitHub delivers the opened event, with the pull request's first head, late.
    const opened = await sendPull('opened', 10, 'reorder', first);
    expect(opened.json.previews).toBeUndefined();
    const late = await waitForJob(server, opened.json.jobs[1].job);
    expect(late.status).toBe('COMPLETE');
    expect(await jobLog(server, late.id)).toContain(
      `commit ${first.slice(0, 12)} was pushed before ${second.slice(0, 12)}, the head of branch reorder, whose push came first`,
    );
    const preview = await workspaceNamed('site-pr-10');
    expect(preview.lastDeployment.commitId).toBe(second);
  });

  it("answers a re-run of a closing preview's check run without deploying, while its removal is under way", async () => {
    const head = stubbornBranch('stubborn');
    const opened = await sendPull('opened', 11, 'stubborn', head);
    const deploy = await waitForJob(server, opened.json.jobs[1].job);
    expect(deploy.status).toBe('COMPLETE');
    const run = await eventually(
      async () =>
        github.checkRuns(REPO).find((r) => r.external_id === deploy.id && r.status === 'completed'),
      'the preview check run to complete',
    );
    // A push whose deploy still runs when the pull request closes.
    git(repo.dir, 'checkout', '--quiet', 'stubborn');
    const marker = path.join(markers, 'slow.marker');
    const slow = repo.commit(slowJob('slow', marker, 60_000));
    git(repo.dir, 'checkout', '--quiet', 'main');
    const pushed = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, slow, 'refs/heads/stubborn', head),
      github.webhookSecret,
    );
    await slowJobStarted(marker);
    const closed = await sendPull('closed', 11, 'stubborn', slow);
    expect(closed.json.previews).toEqual([{ workspace: 'site-pr-11', action: 'removing' }]);
    const rerun = rerequestedRun(REPO, installationId, { ...run, head_sha: head });
    const during = await deliver(server.url, 'check_run', rerun, github.webhookSecret);
    expect(during.status).toBe(202);
    expect(during.json).toEqual({
      delivery: during.id,
      event: 'check_run',
      jobs: [],
      ignored: "workspace 'site-pr-11' is being deleted; nothing more is deployed to it",
    });
    const preview = await workspaceNamed('site-pr-11');
    expect(preview?.preview.closed).toEqual(expect.any(String));
    await eventually(
      async () => (await workspaceNamed('site-pr-11')) === undefined || undefined,
      'the preview to be removed',
      30_000,
    );
    expect((await waitForJob(server, pushed.json.jobs[0].job)).status).toBe('STOPPED');
    // Neither the deploy that succeeded nor the one withdrawn stays active on GitHub.
    const environment = () =>
      github.deployments(REPO).filter((d) => d.environment === 'site-pr-11');
    await eventually(
      async () => environment().every((d) => d.statuses.at(-1)?.state === 'inactive') || undefined,
      "the preview's GitHub deployments to go inactive",
    );
    expect(environment().map((d) => d.sha)).toEqual([head, slow]);
    expect(environment()[0]?.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
      'inactive',
    ]);
  });

  it('makes the preview again, and deploys it, when the pull request reopens while its last one is being removed', async () => {
    const head = stubbornBranch('comeback');
    const opened = await sendPull('opened', 15, 'comeback', head);
    expect((await waitForJob(server, opened.json.jobs[1].job)).status).toBe('COMPLETE');
    const first = await workspaceNamed('site-pr-15');

    const closed = await sendPull('closed', 15, 'comeback', head);
    expect(closed.json.previews).toEqual([{ workspace: 'site-pr-15', action: 'removing' }]);
    const reopened = await sendPull('reopened', 15, 'comeback', head);
    expect(reopened.status, JSON.stringify(reopened.json)).toBe(202);
    expect(reopened.json.previews).toEqual([{ workspace: 'site-pr-15', action: 'remaking' }]);
    expect(reopened.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);

    const again = await eventually(
      async () => {
        const found = await workspaceNamed('site-pr-15');
        return found && found.id !== first.id ? found : undefined;
      },
      'the preview to be made again',
      30_000,
    );
    expect(again.preview).toMatchObject({ pullRequest: 15, closed: null });
    const deploys = await server.api('GET', `/api/workspaces/${again.id}/jobs`);
    const deploy = deploys.json._embedded.jobs[0];
    expect(await waitForJob(server, deploy.id)).toMatchObject({
      status: 'COMPLETE',
      commitId: head,
    });
    await eventually(
      async () =>
        github
          .checkRuns(REPO)
          .find((r) => r.external_id === deploy.id && r.conclusion === 'success'),
      'the check run of the preview made again to succeed',
    );
  });

  it("marks inactive only a deleted workspace's own deployments, not those of a workspace that took its name", async () => {
    /** A commit on a new branch `branchName`, pushed; its deploy's job. */
    const pushTo = async (branchName: string) => {
      git(repo.dir, 'checkout', '--quiet', '-b', branchName, 'main');
      const sha = repo.commit(helloJob(`${branchName}-job`));
      git(repo.dir, 'checkout', '--quiet', 'main');
      const pushed = await deliver(
        server.url,
        'push',
        pushEvent(REPO, installationId, sha, `refs/heads/${branchName}`),
        github.webhookSecret,
      );
      return { sha, job: await waitForJob(server, pushed.json.jobs[0].job) };
    };
    const older = await server.api('POST', '/api/workspaces', {
      name: 'env',
      repositoryUrl: REPO,
      branch: 'env-one',
    });
    const { sha: first } = await pushTo('env-one');
    const environment = () => github.deployments(REPO).filter((d) => d.environment === 'env');
    await eventually(
      async () => environment().find((d) => d.statuses.at(-1)?.state === 'success'),
      'the first deployment to succeed',
    );
    // Renamed; another workspace takes its name, and deploys to the environment of that name.
    await server.api('PUT', `/api/workspaces/${older.json.id}`, { name: 'env-old' });
    await server.api('POST', '/api/workspaces', {
      name: 'env',
      repositoryUrl: REPO,
      branch: 'env-two',
      // Its own namespace: both run the repository's keeper.
      alias: 'env-two',
    });
    const { sha: second, job: deployed } = await pushTo('env-two');
    expect(deployed.status).toBe('COMPLETE');
    await eventually(
      async () =>
        environment().find((d) => d.sha === second && d.statuses.at(-1)?.state === 'success'),
      "the new workspace's deployment to succeed",
    );
    const own = environment().find((d) => d.sha === first);
    const seen = github.requests.length;
    const deleted = await server.api('DELETE', `/api/workspaces/${older.json.id}`);
    expect(deleted.status).toBe(204);
    // Once the sender has looked at the deleted workspace's own deployment (made inactive
    // when the other succeeded), the live one of the other workspace stays live.
    await eventually(
      async () =>
        github.requests
          .slice(seen)
          .some(
            (r) =>
              r.method === 'GET' &&
              r.path === `/repos/${REPO}/deployments/${own?.id}/statuses` &&
              r.status === 200,
          ) || undefined,
      "the sender to look at the deleted workspace's deployment",
    );
    const live = environment().find((d) => d.sha === second);
    expect(live?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('gives no preview to a pull request opened by someone who may not push, and still plans it', async () => {
    const head = branch('unreviewed');
    const payload = pullRequest('opened', 12, 'unreviewed', head);
    payload.sender = { ...payload.sender, login: 'reader' };
    const opened = await deliver(server.url, 'pull_request', payload, github.webhookSecret);
    expect(opened.status).toBe(202);
    expect(opened.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(opened.json.previews).toEqual([
      {
        refused: `reader may not push to ${REPO} (permission: read); only who may push gets a preview of a pull request, since a preview runs its branch's code`,
      },
    ]);
    expect(await workspaceNamed('site-pr-12')).toBeUndefined();
    // Someone who may push gets it made on the next push (its synchronize).
    const synchronized = pullRequest('synchronize', 12, 'unreviewed', head);
    const pushed = await deliver(server.url, 'pull_request', synchronized, github.webhookSecret);
    expect(pushed.json.previews).toEqual([{ workspace: 'site-pr-12', action: 'made' }]);
    // GitHub was asked once for each sender.
    expect(
      github.requests.filter((r) => r.path.endsWith('/collaborators/reader/permission')),
    ).toHaveLength(1);
  });

  it('plans a pull request and answers at once when GitHub does not say who may push; the next push asks again', async () => {
    github.setCollaborator(REPO, 'newcomer', 'write');
    const head = branch('unasked');
    const asNewcomer = (action: string, sha: string) => {
      const payload = pullRequest(action, 13, 'unasked', sha);
      payload.sender = { ...payload.sender, login: 'newcomer' };
      return deliver(server.url, 'pull_request', payload, github.webhookSecret);
    };
    github.inject({ path: /\/collaborators\/newcomer\/permission$/, status: 502 });
    const failed = await asNewcomer('opened', head);
    expect(failed.status).toBe(202);
    expect(failed.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(failed.json.previews).toEqual([
      {
        refused: `could not ask GitHub whether newcomer may push to ${REPO} (GitHub answered 502); the pull request's next push asks again`,
      },
    ]);
    // GitHub slower than a webhook may wait: the answer comes in about 3 s, not 8.
    github.inject({ path: /\/collaborators\/newcomer\/permission$/, delayMs: 8000 });
    const started = Date.now();
    const slow = await asNewcomer('synchronize', head);
    expect(Date.now() - started).toBeLessThan(7000);
    expect(slow.json.previews).toEqual([
      {
        refused: `could not ask GitHub whether newcomer may push to ${REPO} (no answer in 3 s); the pull request's next push asks again`,
      },
    ]);
    const answered = await asNewcomer('synchronize', head);
    expect(answered.json.previews).toEqual([{ workspace: 'site-pr-13', action: 'made' }]);
  });

  it('gives a pull request from a fork no preview, and still plans it', async () => {
    const head = branch('forked');
    const payload = pullRequest('opened', 8, 'forked', head);
    payload.pull_request.head.repo.full_name = 'mallory/site';
    const opened = await deliver(server.url, 'pull_request', payload, github.webhookSecret);
    expect(opened.json.jobs).toEqual([
      { workspace: 'site', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(opened.json.previews).toEqual([
      {
        refused: `pull request #8 comes from the fork mallory/site; only pull requests from branches of ${REPO} get previews, since a preview runs their code`,
      },
    ]);
    expect(await workspaceNamed('site-pr-8')).toBeUndefined();
  });

  it('moves the previews of a retargeted pull request to the workspaces of its new base branch', async () => {
    const release = await server.api('POST', '/api/workspaces', {
      name: 'site-release',
      repositoryUrl: REPO,
      branch: 'release',
      previews: true,
    });
    expect(release.status, release.text).toBe(201);
    const head = branch('stacked');
    const opened = await sendPull('opened', 14, 'stacked', head);
    expect(opened.json.previews, JSON.stringify(opened.json)).toEqual([
      { workspace: 'site-pr-14', action: 'made' },
    ]);
    await waitForJob(server, opened.json.jobs[1].job);
    const former = await workspaceNamed('site-pr-14');

    // An edit of its title moves nothing.
    const retitled = pullRequest('edited', 14, 'stacked', head);
    retitled.changes = { title: { from: 'An older title' } };
    const titled = await deliver(server.url, 'pull_request', retitled, github.webhookSecret);
    expect(titled.status).toBe(202);
    expect(titled.json).toMatchObject({
      jobs: [],
      ignored:
        'pull request #14 edited; Slipway acts on an edit only when it changes the base branch',
    });

    // Retargeted to release (as GitHub does when the branch it was stacked on merges).
    const retargeted = pullRequest('edited', 14, 'stacked', head);
    retargeted.pull_request.base.ref = 'release';
    retargeted.changes = { base: { ref: { from: 'main' }, sha: { from: 'f'.repeat(40) } } };
    const moved = await deliver(server.url, 'pull_request', retargeted, github.webhookSecret);
    expect(moved.status, JSON.stringify(moved.json)).toBe(202);
    expect(moved.json.previews).toEqual([
      { workspace: 'site-pr-14', action: 'removing' },
      { workspace: 'site-release-pr-14', action: 'made' },
    ]);
    expect(moved.json.jobs).toEqual([
      { workspace: 'site-release', job: expect.any(String), kind: 'plan', created: true },
      { workspace: 'site-release-pr-14', job: expect.any(String), kind: 'deploy', created: true },
    ]);
    expect(await waitForJob(server, moved.json.jobs[1].job)).toMatchObject({
      status: 'COMPLETE',
      commitId: head,
    });
    await eventually(
      async () =>
        (await server.api('GET', `/api/workspaces/${former.id}`)).status === 404 || undefined,
      'the preview of the former base to be removed',
    );
    expect(await workspaceNamed('site-release-pr-14')).toMatchObject({
      branch: 'stacked',
      preview: { of: release.json.id, pullRequest: 14, closed: null },
    });
    // GitHub delivering the retarget again makes nothing new.
    const again = await deliver(server.url, 'pull_request', retargeted, github.webhookSecret, {
      id: moved.id,
    });
    expect(again.json.jobs).toEqual([{ ...moved.json.jobs[0], created: false }]);
    expect(again.json.previews).toBeUndefined();
    // An edit sent before the retarget (back to main, an hour earlier), delivered late, leaves
    // the preview of release and makes none of main.
    const stale = pullRequest('edited', 14, 'stacked', head);
    stale.pull_request.updated_at = new Date(Date.now() - 3_600_000).toISOString();
    stale.changes = { base: { ref: { from: 'release' }, sha: { from: 'f'.repeat(40) } } };
    const late = await deliver(server.url, 'pull_request', stale, github.webhookSecret);
    expect(late.json.previews).toEqual([
      {
        refused: expect.stringMatching(/GitHub delivered it late; no preview of workspace 'site'/),
      },
    ]);
    expect(await workspaceNamed('site-release-pr-14')).toMatchObject({
      preview: { closed: null },
    });
    const removed = await server.api('DELETE', `/api/workspaces/${release.json.id}`);
    expect(removed.status, removed.text).toBe(204);
  });

  it('gives a workspace that names a label previews of the pull requests carrying it only, made and removed with the label', async () => {
    const withoutPreviews = await server.api('POST', '/api/workspaces', {
      name: 'site-nolabel',
      repositoryUrl: REPO,
      previewLabel: 'preview',
    });
    expect(withoutPreviews.status).toBe(400);
    expect(withoutPreviews.json.message).toMatch(
      /"previewLabel" is "preview"; expected null unless "previews" is true/,
    );
    const created = await server.api('POST', '/api/workspaces', {
      name: 'site-qa',
      repositoryUrl: REPO,
      branch: 'develop',
      previews: true,
      previewLabel: 'preview',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ previews: true, previewLabel: 'preview' });
    const head = branch('qa-feature');
    /** A pull_request event of 16 into develop, with these labels (and the one it names). */
    const labelled = (action: string, labels: string[], label?: string, sender?: string) => {
      const payload = pullRequest(action, 16, 'qa-feature', head);
      if (sender) payload.sender.login = sender;
      payload.pull_request.base.ref = 'develop';
      payload.pull_request.labels = labels.map((name) => ({ name, color: 'ededed' }));
      if (label) payload.label = { name: label, color: 'ededed' };
      return deliver(server.url, 'pull_request', payload, github.webhookSecret);
    };

    const opened = await labelled('opened', ['bug']);
    expect(opened.json.jobs).toEqual([
      { workspace: 'site-qa', job: expect.any(String), kind: 'plan', created: true },
    ]);
    expect(opened.json.previews).toBeUndefined();

    // Whoever labels vouches for the branch: someone who may not push makes no preview.
    const byReader = await labelled('labeled', ['bug', 'preview'], 'preview', 'reader');
    expect(byReader.json.previews).toEqual([
      { refused: expect.stringContaining('reader may not push to acme/site') },
    ]);
    expect(byReader.json.jobs).toEqual([]);
    // Labels match in any case, as GitHub's do; a label event plans nothing.
    const added = await labelled('labeled', ['bug', 'Preview'], 'Preview');
    expect(added.status, JSON.stringify(added.json)).toBe(202);
    expect(added.json.previews).toEqual([{ workspace: 'site-qa-pr-16', action: 'made' }]);
    expect(added.json.jobs).toEqual([
      { workspace: 'site-qa-pr-16', job: expect.any(String), kind: 'deploy', created: true },
    ]);
    expect(await waitForJob(server, added.json.jobs[0].job)).toMatchObject({
      status: 'COMPLETE',
      commitId: head,
    });
    const other = await labelled('labeled', ['bug', 'Preview', 'docs'], 'docs');
    expect(other.json).toMatchObject({
      jobs: [],
      ignored: "pull request #16 labeled 'docs'; no preview comes or goes with it",
    });

    const preview = await workspaceNamed('site-qa-pr-16');
    const removed = await labelled('unlabeled', ['bug', 'docs'], 'Preview');
    expect(removed.json.previews).toEqual([{ workspace: 'site-qa-pr-16', action: 'removing' }]);
    await eventually(
      async () =>
        (await server.api('GET', `/api/workspaces/${preview.id}`)).status === 404 || undefined,
      'the preview to be removed with its label',
    );

    const cleared = await server.api('PUT', `/api/workspaces/${created.json.id}`, {
      previewLabel: null,
    });
    expect(cleared.json).toMatchObject({ previews: true, previewLabel: null });
    const off = await server.api('PUT', `/api/workspaces/${created.json.id}`, {
      previews: false,
      previewLabel: 'preview',
    });
    expect(off.status).toBe(400);
    expect((await server.api('DELETE', `/api/workspaces/${created.json.id}`)).status).toBe(204);
  });

  it('removes at start the preview of a pull request that closed while Slipway was away, and keeps the open one', async () => {
    /** A pull request on GitHub, its opened event delivered and its preview deployed. */
    const previewed = async (name: string) => {
      const head = branch(name);
      const { number } = github.openPullRequest(REPO, { head: name, sha: head, base: 'main' });
      const opened = await sendPull('opened', number, name, head);
      expect(opened.json.previews).toEqual([{ workspace: `site-pr-${number}`, action: 'made' }]);
      await waitForJob(server, opened.json.jobs[1].job);
      return { number, preview: await workspaceNamed(`site-pr-${number}`) };
    };
    const gone = await previewed('unheard');
    const kept = await previewed('still-open');

    // Merged while Slipway is stopped, and no delivery of its event is left to ask for again.
    await server.stop();
    github.closePullRequest(REPO, gone.number, { merged: true });
    server = await startServer({ dataDir, env: githubAppEnv(github) });

    await eventually(
      async () =>
        (await server.api('GET', `/api/workspaces/${gone.preview.id}`)).status === 404 || undefined,
      'the preview of the merged pull request to be removed',
    );
    const noted = server
      .logs()
      .find((l) => String(l.msg).includes('closed without its event reaching Slipway'));
    expect(noted).toMatchObject({ pullRequest: gone.number, previews: [`site-pr-${gone.number}`] });
    const namespaces = (await server.api('GET', '/v1/list/namespaces')).json.namespaces;
    expect(namespaces).not.toContain(`site-pr-${gone.number}`);
    expect(namespaces).toContain(`site-pr-${kept.number}`);
    expect((await server.api('GET', `/api/workspaces/${kept.preview.id}`)).json).toMatchObject({
      preview: { pullRequest: kept.number, closed: null },
    });
  });

  it('removes the previews of a workspace deleted while its pull requests are open', async () => {
    const head = branch('cascade');
    const opened = await sendPull('opened', 9, 'cascade', head);
    expect(opened.json.previews).toEqual([{ workspace: 'site-pr-9', action: 'made' }]);
    await waitForJob(server, opened.json.jobs[1].job);
    const pid = await keeperPid('site-pr-9/keeper');
    const preview = await workspaceNamed('site-pr-9');

    const deleted = await server.api('DELETE', `/api/workspaces/${site.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect((await server.api('GET', `/api/workspaces/${preview.id}`)).status).toBe(404);
    expect(alive(pid)).toBe(false);
  });
});
