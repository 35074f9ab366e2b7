import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import {
  aboutRepository,
  deliver,
  examplePayload,
  githubAppEnv,
  pushEvent,
  pushToWorkspace,
} from './helpers/github-webhooks.js';
import {
  dashboardPage,
  type Json,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';

// A release freeze: deploys stop without unhooking a webhook, and every push the freeze held
// says so where people look (the job, the commit's check run), then ships once it ends.
describe("a workspace whose deploys are paused, through the GitHub App and the workspace's webhook", () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let local: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let shop: Json;
  let firstCommit: string;

  const checkRunOf = (jobId: string) =>
    eventually(
      () => github.checkRuns(REPO).find((r) => r.external_id === jobId && r.status === 'completed'),
      `the completed check run of job ${jobId}`,
      30_000,
    );

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    local = createRepo(helloJob('local'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    server = await startServer({ env: githubAppEnv(github) });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: REPO,
    });
    expect(created.status, created.text).toBe(201);
    shop = created.json;
    firstCommit = repo.head();
    const first = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, repo.head()),
      github.webhookSecret,
    );
    expect((await waitForJob(server, first.json.jobs[0].job)).status).toBe('COMPLETE');
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
    local?.cleanup();
  });

  it('refuses a deploy by name while paused, saying who paused it and why, unless forced', async () => {
    const paused = await server.api('PUT', `/api/workspaces/${shop.id}/paused`, {
      reason: 'release freeze until Monday',
    });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json.paused).toMatchObject({
      by: 'admin',
      reason: 'release freeze until Monday',
      held: 0,
      lastHeld: null,
    });
    expect(paused.json._links['resume deploys']).toMatchObject({ type: 'DELETE' });
    expect(paused.json._links['pause deploys']).toBeUndefined();
    const listed = await server.api('GET', '/api/workspaces');
    expect(listed.json._embedded.workspaces[0].paused.reason).toBe('release freeze until Monday');

    const refused = await server.api('POST', `/api/workspaces/${shop.id}/deployments`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.message).toBe(
      `deploys of workspace 'shop' are paused by admin since ${paused.json.paused.since}: release freeze until Monday; resume its deploys, or force the deploy (?force=true; slipway --force; the Action's force: true)`,
    );
    // A plan changes nothing: it goes on.
    const plan = await server.api('POST', `/api/workspaces/${shop.id}/deployments?plan=true`);
    expect(plan.status, plan.text).toBe(202);
    expect((await waitForJob(server, plan.json.id)).status).toBe('COMPLETE');
    const forced = await server.api('POST', `/api/workspaces/${shop.id}/deployments?force=true`);
    expect(forced.status, forced.text).toBe(202);
    expect((await waitForJob(server, forced.json.id)).status).toBe('COMPLETE');
    // Bad input names the field.
    const bad = await server.api('PUT', `/api/workspaces/${shop.id}/paused`, { reason: 7 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('"reason" is 7; expected a string');
  });

  it('holds a push: a STOPPED job that says why, a skipped check run, nothing deployed', async () => {
    const before = (await server.api('GET', `/api/workspaces/${shop.id}`)).json.lastDeployment;
    const pushed = repo.commit({ 'README.md': 'shipped in the freeze' });
    const delivery = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, pushed),
      github.webhookSecret,
    );
    expect(delivery.status, JSON.stringify(delivery.json)).toBe(202);
    expect(delivery.json.jobs).toEqual([
      expect.objectContaining({ workspace: 'shop', kind: 'deploy', created: true, held: true }),
    ]);
    const heldId = delivery.json.jobs[0].job;
    const held = (await server.api('GET', `/api/jobs/${heldId}`)).json;
    expect(held).toMatchObject({ status: 'STOPPED', commitId: pushed });
    expect(held.message).toMatch(
      /^not deployed: deploys of workspace 'shop' are paused since .*: release freeze until Monday; resuming them deploys the branch head$/,
    );
    const run = await checkRunOf(heldId);
    expect(run).toMatchObject({ head_sha: pushed, name: 'Slipway / shop', conclusion: 'skipped' });
    expect(run.output.title).toBe('Not deployed: deploys are paused');
    expect(run.output.summary).toContain('release freeze until Monday');
    // GitHub redelivers it: the same job, still one held.
    const again = await deliver(
      server.url,
      'push',
      pushEvent(REPO, installationId, pushed),
      github.webhookSecret,
      { id: delivery.id },
    );
    expect(again.json.jobs[0]).toMatchObject({ job: heldId, created: false });
    // Re-run on GitHub: the skipped run's commit is held already, so it stays held once; a
    // re-run of an earlier deploy's check run is held as well.
    const rerunOf = (id: number, sha: string, external: string) => {
      const rerun = aboutRepository(
        examplePayload('check_run', 'rerequested'),
        REPO,
        installationId,
      );
      Object.assign(rerun.check_run, { id, head_sha: sha, external_id: external });
      return deliver(server.url, 'check_run', rerun, github.webhookSecret);
    };
    const sameAgain = await rerunOf(run.id, pushed, heldId);
    expect(sameAgain.json.jobs[0]).toMatchObject({ job: heldId, created: false, held: true });
    const earlier = github
      .checkRuns(REPO)
      .find((r) => r.head_sha === firstCommit && r.conclusion === 'success');
    expect(earlier?.external_id).toBeTruthy();
    const rerunDelivery = await rerunOf(
      Number(earlier?.id),
      firstCommit,
      String(earlier?.external_id),
    );
    expect(rerunDelivery.json.jobs[0]).toMatchObject({ created: true, held: true });

    const workspace = (await server.api('GET', `/api/workspaces/${shop.id}`)).json;
    expect(workspace.lastDeployment).toEqual(before);
    expect(workspace.paused).toMatchObject({
      held: 2,
      lastHeld: { jobId: rerunDelivery.json.jobs[0].job, commitId: firstCommit },
    });
    expect(github.deployments(REPO).filter((d) => d.sha === pushed)).toEqual([]);
    const metrics = await server.api('GET', '/metrics');
    expect(metrics.text).toMatch(
      /slipway_webhook_deliveries_total\{source="github-app",event="push",outcome="held"\} 1/,
    );
    expect(metrics.text).toMatch(/slipway_workspace_paused_seconds\{workspace="shop"\} \d+/);

    // The dashboard's overview marks the workspace, and says who paused it and why.
    const overview = await dashboardPage(server);
    const row = overview.slice(overview.indexOf(`data-workspace-id="${shop.id}"`));
    const cells = row.slice(0, row.indexOf('</tr>'));
    expect(cells).toContain('>PAUSED</span>');
    expect(cells).toContain('Deploys paused by admin: release freeze until Monday.');
    expect(cells).toContain('2 deploy(s) held; resuming deploys the branch head.');
    // In the jobs table a held deploy says HELD, not STOPPED: nothing stopped it.
    const heldRow = overview.slice(overview.indexOf(`data-job-id="${heldId}"`));
    expect(heldRow.slice(0, heldRow.indexOf('</tr>'))).toContain('data-status="HELD"');
    expect(await dashboardPage(server, `/jobs/${heldId}`)).toContain('>HELD</span>');
  });

  it('deploys the branch head once resumed, reported on its commit', async () => {
    const resumed = await server.api('DELETE', `/api/workspaces/${shop.id}/paused`);
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.json.paused).toBeNull();
    expect(resumed.json._links['pause deploys']).toMatchObject({ type: 'PUT' });
    const metrics = await server.api('GET', '/metrics');
    expect(metrics.text).not.toContain('slipway_workspace_paused_seconds{workspace="shop"}');
    const queued = resumed.json._embedded.job;
    expect(queued).toMatchObject({ type: 'WORKSPACE_DEPLOY', status: 'QUEUED' });
    const done = await waitForJob(server, queued.id);
    expect(done).toMatchObject({ status: 'COMPLETE', commitId: repo.head() });
    expect((await checkRunOf(queued.id)).conclusion).toBe('success');
    // Deploys flow again, and a second resume has nothing to do.
    const again = await server.api('DELETE', `/api/workspaces/${shop.id}/paused`);
    expect(again.status).toBe(200);
    expect(again.json._embedded).toBeUndefined();
    const deploy = await server.api('POST', `/api/workspaces/${shop.id}/deployments`);
    expect(deploy.status, deploy.text).toBe(202);
    await waitForJob(server, deploy.json.id);
  });

  it("holds a push to the workspace's own webhook, and resumes with nothing held deploying nothing", async () => {
    const created = await server.api('POST', '/api/workspaces', {
      name: 'local',
      repositoryUrl: local.dir,
    });
    const ws = created.json;
    const paused = await server.api('PUT', `/api/workspaces/${ws.id}/paused`);
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json.paused).toMatchObject({ by: 'admin', reason: null });
    // Nothing held yet: resuming queues nothing.
    const quiet = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    expect(quiet.json._embedded).toBeUndefined();
    await server.api('PUT', `/api/workspaces/${ws.id}/paused`, { reason: 'incident 42' });

    const hook = await pushToWorkspace(server, ws, { after: local.head() }, 'paused-1');
    const job: Json = hook.json;
    expect(hook.status).toBe(202);
    expect(job.status).toBe('STOPPED');
    expect(job.message).toContain('incident 42');
    const log = await server.api('GET', `/api/jobs/${job.id}/logs?sequence=0`);
    expect(log.text.trim()).toBe(job.message);
    expect((await server.api('GET', `/api/workspaces/${ws.id}`)).json.lastDeployment).toBeNull();
    const metrics = await server.api('GET', '/metrics');
    expect(metrics.text).toMatch(
      /slipway_webhook_deliveries_total\{source="workspace",event="push",outcome="held"\} 1/,
    );

    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    const done = await waitForJob(server, resumed.json._embedded.job.id);
    expect(done).toMatchObject({ status: 'COMPLETE', commitId: local.head() });
  });
});
