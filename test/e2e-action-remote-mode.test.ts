import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diamond, job, repoIn } from './fixtures/datatask.js';
import { createRelease, serviceFiles } from './fixtures/np-service.js';
import { runAction } from './helpers/action.js';
import { createRepo, git, type TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

describe('the GitHub Action in remote mode, run as a runner runs it, against the real server', () => {
  let server: ServerProcess;
  let reposDir: string;
  const repos: TestRepo[] = [];
  let remote: Record<string, string>;

  beforeAll(async () => {
    reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repos-'));
    repos.push(
      repoIn(reposDir, 'shop', {
        'tasks/job1/manifest.json': job('job1', { lines: ['job1 says hi'] }),
        'tasks/job2/manifest.json': job('job2'),
        'tasks/job3/manifest.json': job('job3'),
        'tasks/job4/manifest.json': job('job4'),
        'pipelines/diamond/pipeline.json': diamond('shop'),
      }),
      repoIn(reposDir, 'tools', {
        'tasks/broken/manifest.json': job('broken', { exitCode: 3, lines: ['about to fail'] }),
        'tasks/slow/manifest.json': job('slow', { ms: 6000 }),
      }),
    );
    server = await startServer({ reposDir });
    remote = { 'server-url': server.url, token: server.adminToken };
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: 'shop',
      branch: 'master',
      namespace: 'shop-ws',
    });
    expect(ws.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    for (const repo of repos) repo.cleanup();
  });

  it('deploys a workspace, streams its log in groups per task, and sets outputs and the summary', async () => {
    const run = await runAction({ ...remote, command: 'deploy-workspace', workspace: 'shop' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({
      status: 'COMPLETE',
      'job-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: `${server.url}/jobs/${run.outputs['job-id']}`,
    });
    expect(run.outputs.summary).toMatch(/deployed [0-9a-f]{12} to namespace shop-ws: 4 created/);
    // The url is the job's page for a person: its log, once signed in to the dashboard.
    const page = await fetch(run.outputs.url ?? '', {
      headers: { cookie: `slipway_session=${server.adminToken}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('job1 says hi');
    expect(run.stdout).toContain('::group::job1');
    expect(run.stdout).toContain('[job1] job1 says hi');
    expect(run.stdout).toContain('::endgroup::');
    // The token is only ever shown to the runner, to be masked.
    expect(run.stdout.split(server.adminToken)).toHaveLength(2);
    expect(run.stdout).toContain(`::add-mask::${server.adminToken}`);
    expect(run.summary).toContain('<h3>Slipway: deploy of workspace shop: COMPLETE</h3>');
    expect(run.summary).toMatch(
      /<tr><td>job<\/td><td>job1<\/td><td>created<\/td><td>took [\d.]+ s<\/td><\/tr>/,
    );
    expect(run.summary).toContain(`href="${run.outputs.url}"`);

    const plan = await runAction({
      ...remote,
      command: 'deploy-workspace',
      workspace: 'shop',
      'dry-run': 'true',
    });
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.summary).toContain('unchanged');

    // A workflow pins the commit it runs for (github.sha), even once the branch moved on.
    const shop = repos[0] as TestRepo;
    const pinned = shop.head();
    shop.commit({ 'tasks/job5/manifest.json': job('job5') });
    const atCommit = await runAction({
      ...remote,
      command: 'deploy-workspace',
      workspace: 'shop',
      commit: pinned,
    });
    expect(atCommit.code, atCommit.stdout).toBe(0);
    expect(atCommit.stdout).toContain(`deploy of workspace shop at ${pinned.slice(0, 12)}`);
    const pinnedJob = await server.api('GET', `/api/jobs/${atCommit.outputs['job-id']}`);
    expect(pinnedJob.json.commitId).toBe(pinned);
    expect(pinnedJob.json.result.created).toEqual([]);
  });

  it('deploys a task and runs a pipeline', async () => {
    const task = await runAction({
      ...remote,
      command: 'deploy-task',
      repository: 'shop',
      directory: 'tasks/job1',
      branch: 'master',
      namespace: 'team',
    });
    expect(task.code, task.stdout).toBe(0);
    expect(task.outputs.status).toBe('COMPLETE');
    expect(task.summary).toMatch(/<td>job<\/td><td>job1<\/td><td>created<\/td>/);

    const pipeline = await runAction({
      ...remote,
      command: 'run-pipeline',
      repository: 'shop',
      directory: 'pipelines/diamond',
      branch: 'master',
      namespace: 'team',
    });
    expect(pipeline.code, pipeline.stdout).toBe(0);
    expect(pipeline.outputs.summary).toBe(
      'pipeline diamond succeeded: 4 succeeded, 0 failed, 0 killed, 0 skipped',
    );
    expect(pipeline.summary).toMatch(/<td>pipeline<\/td><td>diamond<\/td><td>succeeded<\/td>/);
  });

  it('fails the step when the job fails, with its message, and outputs ERROR', async () => {
    const run = await runAction({
      ...remote,
      command: 'deploy-task',
      repository: 'tools',
      directory: 'tasks/broken',
      branch: 'master',
      namespace: 'team',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('ERROR');
    expect(run.stdout).toContain('[broken] about to fail');
    expect(run.stdout).toMatch(
      /::error::deploy of task team\/broken ended ERROR: .*exit(ed)? (with )?code 3/,
    );
  });

  it('fails the step on a paused workspace, saying who paused it and why, unless forced', async () => {
    const id = (await server.api('GET', '/api/workspaces')).json._embedded.workspaces.find(
      (ws: { name: string }) => ws.name === 'shop',
    ).id;
    const paused = await server.api('PUT', `/api/workspaces/${id}/paused`, {
      reason: 'release freeze',
    });
    expect(paused.status).toBe(200);
    try {
      const refused = await runAction({
        ...remote,
        command: 'deploy-workspace',
        workspace: 'shop',
      });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(
        /::error::.*deploys of workspace 'shop' are paused by admin since .*: release freeze; resume its deploys, or force the deploy \(\?force=true; slipway --force; the Action's force: true\)/,
      );
      const forced = await runAction({
        ...remote,
        command: 'deploy-workspace',
        workspace: 'shop',
        force: 'true',
      });
      expect(forced.code, forced.stdout).toBe(0);
      expect(forced.outputs.status).toBe('COMPLETE');
    } finally {
      await server.api('DELETE', `/api/workspaces/${id}/paused`);
    }
  });

  it('gives up waiting at the timeout and leaves the job running: the post step withdraws nothing', async () => {
    const run = await runAction({
      ...remote,
      command: 'deploy-task',
      repository: 'tools',
      directory: 'tasks/slow',
      branch: 'master',
      namespace: 'team',
      timeout: '2',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error::deploy of task team\/slow is still RUNNING after the timeout; the job goes on/,
    );
    const id = run.outputs['job-id'] as string;
    // The runner runs the post step always (post-if: always()), with what the step saved.
    const post = await runAction({ ...remote }, { state: run.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).not.toContain('withdrew');
    expect((await waitForJob(server, id)).status).toBe('COMPLETE');
  });

  it("in a pull_request run, deploys the pull request's branch, not its merge ref", async () => {
    const tools = repos[1] as TestRepo;
    git(tools.dir, 'checkout', '--quiet', '-b', 'feature-7');
    tools.commit({ 'tasks/preview/manifest.json': job('preview', { lines: ['from feature-7'] }) });
    git(tools.dir, 'checkout', '--quiet', 'master');
    const task = { ...remote, command: 'deploy-task', repository: 'tools', namespace: 'team' };
    // What the runner sets in a pull_request run: GITHUB_REF_NAME is the merge ref.
    const pr = await runAction(
      { ...task, directory: 'tasks/preview' },
      {
        env: {
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_REF_NAME: '7/merge',
          GITHUB_HEAD_REF: 'feature-7',
        },
      },
    );
    expect(pr.code, pr.stdout).toBe(0);
    expect(pr.outputs.status).toBe('COMPLETE');
    expect(pr.stdout).toContain('[preview] from feature-7');
    // In a push run GITHUB_HEAD_REF is set but empty: the run's branch is deployed.
    const push = await runAction(
      { ...task, repository: 'shop', directory: 'tasks/job1', namespace: 'push-run' },
      { env: { GITHUB_EVENT_NAME: 'push', GITHUB_REF_NAME: 'master', GITHUB_HEAD_REF: '' } },
    );
    expect(push.code, push.stdout).toBe(0);
    expect(push.stdout).toContain('[job1] job1 says hi');
  });

  it('drives a blue-green release: deploy, 30 % of traffic, finalize; then a cancel', async () => {
    const service = createRepo(serviceFiles());
    repos.push(service);
    const app = (
      await server.api('POST', '/application', { name: 'api', repository_url: service.dir })
    ).json;
    const scope = (
      await server.api('POST', '/scope', {
        application_id: app.id,
        name: 'production',
        asset_name: 'api',
        capabilities: { health_check: { initial_delay_seconds: 0, period_seconds: 1 } },
      })
    ).json;
    const release = (semver: string, commit: string) =>
      createRelease(server, app.id, commit, semver);
    const v1 = await release('1.0.0', service.head());
    const first = await runAction({
      ...remote,
      command: 'deploy-release',
      scope: String(scope.id),
      release: String(v1.id),
    });
    expect(first.code, first.stdout).toBe(0);
    expect(first.outputs.status).toBe('finalized');
    const address = first.outputs.url as string;
    expect(await (await fetch(address)).text()).toBe('1.0.0');

    const v2 = await release('1.1.0', service.commit({ 'svc/CHANGELOG': '1.1.0\n' }));
    const second = await runAction({
      ...remote,
      command: 'deploy-release',
      scope: String(scope.id),
      release: String(v2.id),
    });
    expect(second.code, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({
      status: 'running',
      summary: expect.stringContaining('0 % of traffic'),
    });
    const switched = await runAction({
      ...remote,
      command: 'switch-traffic',
      scope: String(scope.id),
      traffic: '30',
    });
    expect(switched.code, switched.stdout).toBe(0);
    expect(switched.outputs).toMatchObject({
      'job-id': second.outputs['job-id'],
      status: 'running',
    });
    expect(switched.outputs.summary).toContain('30 % of traffic');
    expect(switched.summary).toContain('30 %');
    const finalized = await runAction({ ...remote, command: 'finalize', scope: String(scope.id) });
    expect(finalized.code, finalized.stdout).toBe(0);
    expect(finalized.outputs.status).toBe('finalized');
    expect(await (await fetch(address)).text()).toBe('1.1.0');

    // Not waited for: the deployment's status as it stands, and where the scope serves.
    const v3 = await release('1.2.0', service.commit({ 'svc/CHANGELOG': '1.2.0\n' }));
    const started = await runAction({
      ...remote,
      command: 'deploy-release',
      scope: String(scope.id),
      release: String(v3.id),
      wait: 'false',
    });
    expect(started.code, started.stdout).toBe(0);
    expect(['creating', 'waiting_for_instances', 'running']).toContain(started.outputs.status);
    expect(started.outputs.url).toBe(address);
    await eventually(
      async () =>
        (await server.api('GET', `/deployment/${started.outputs['job-id']}`)).json.status ===
        'running'
          ? true
          : undefined,
      'the third release to run beside the second',
    );
    const cancelled = await runAction({ ...remote, command: 'cancel', scope: String(scope.id) });
    expect(cancelled.code, cancelled.stdout).toBe(0);
    expect(cancelled.outputs.status).toBe('rolled_back');
    await eventually(
      async () => ((await (await fetch(address)).text()) === '1.1.0' ? true : undefined),
      'traffic back on 1.1.0',
    );
    const nothing = await runAction({ ...remote, command: 'finalize', scope: String(scope.id) });
    expect(nothing.code).toBe(1);
    expect(nothing.stdout).toContain('::error::scope production');
  });
});
