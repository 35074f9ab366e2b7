import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { createRepo, git, type TestRepo } from './helpers/git.js';
import { installationToken, probotFor, requestFailure } from './helpers/github-api.js';

let github: GitHubApiServer;
let repo: TestRepo;
let octokit: Octokit;

const where = { owner: 'acme', repo: 'shop' };

beforeAll(async () => {
  github = await startGitHubApiServer();
  repo = createRepo({ 'README.md': '# shop\n' });
  github.addRepository('acme/shop', repo.dir);
  const { id } = github.addInstallation('acme', ['acme/shop']);
  octokit = new Octokit({ baseUrl: github.baseUrl, auth: await installationToken(github, id) });
});
afterAll(async () => {
  await github.close();
  repo.cleanup();
});

/** Creates a deployment of `main` (201; the 202 "auto-merged" answer has no id, and never comes here). */
async function deploy(body: Record<string, unknown>) {
  const response = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
    ...where,
    ref: 'main',
    ...body,
  });
  return response as typeof response & { data: { id: number; sha: string } };
}

describe('deployments', () => {
  it('resolves the ref to a commit and stores the defaults', async () => {
    const { status, data } = await deploy({
      environment: 'staging',
      payload: { job: 42 },
      description: 'Slipway deploy',
      required_contexts: [],
    });
    expect(status).toBe(201);
    expect(data).toMatchObject({
      sha: repo.head(),
      ref: 'main',
      task: 'deploy',
      environment: 'staging',
      production_environment: false,
      transient_environment: false,
      payload: { job: 42 },
    });
    expect(github.deployments('acme/shop').at(-1)).toMatchObject({
      id: data.id,
      sha: repo.head(),
      auto_merge: true,
      required_contexts: [],
      statuses: [],
    });
    git(repo.dir, 'tag', 'v1');
    const byTag = await deploy({ ref: 'v1', required_contexts: [] });
    expect(byTag.data).toMatchObject({
      sha: repo.head(),
      environment: 'production',
      production_environment: true,
    });
  });

  it('answers 422 for unknown refs and a missing ref', async () => {
    expect(await requestFailure(deploy({ ref: 'nope' }))).toEqual({
      status: 422,
      data: {
        message: 'No ref found for: nope',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    expect(
      await requestFailure(octokit.request('POST /repos/acme/shop/deployments', {})),
    ).toMatchObject({
      status: 422,
      data: {
        message: 'Validation Failed',
        errors: [{ resource: 'Deployment', code: 'missing_field', field: 'ref' }],
      },
    });
  });

  it("refuses with 409 while the commit's check runs are not green, unless required_contexts is []", async () => {
    const sha = repo.commit({ 'b.txt': 'b' });
    const run = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      ...where,
      name: 'slipway/deploy',
      head_sha: sha,
      status: 'in_progress',
    });
    expect(await requestFailure(deploy({ ref: sha }))).toMatchObject({
      status: 409,
      data: {
        message: `Conflict: Commit status checks failed for ${sha}.`,
        errors: [
          {
            contexts: [{ context: 'slipway/deploy', state: 'pending' }],
            field: 'required_contexts',
          },
        ],
      },
    });
    expect((await deploy({ ref: sha, required_contexts: [] })).status).toBe(201);
    await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      ...where,
      check_run_id: run.data.id,
      conclusion: 'success',
    });
    expect((await deploy({ ref: sha })).data.sha).toBe(sha);
  });

  it('records statuses, validates them, and lists them newest first', async () => {
    const { data } = await deploy({ environment: 'review', required_contexts: [] });
    const status = (body: Record<string, unknown>) =>
      octokit.request('POST /repos/acme/shop/deployments/{deployment_id}/statuses', {
        deployment_id: data.id,
        ...body,
      });
    expect(
      (await status({ state: 'in_progress', log_url: 'http://slipway.test/jobs/7' })).status,
    ).toBe(201);
    await status({
      state: 'success',
      environment_url: 'http://review.test',
      description: 'Deployed',
    });
    expect(await requestFailure(status({ state: 'done' }))).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'DeploymentStatus', code: 'invalid', field: 'state' }] },
    });
    expect(
      await requestFailure(status({ state: 'failure', description: 'x'.repeat(141) })),
    ).toMatchObject({
      status: 422,
      data: { errors: [{ field: 'description' }] },
    });
    const listed = await octokit.request(
      'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      {
        ...where,
        deployment_id: data.id,
      },
    );
    expect(listed.data.map((s) => s.state)).toEqual(['success', 'in_progress']);
    expect(github.deployments().find((d) => d.id === data.id)?.statuses).toMatchObject([
      { state: 'in_progress', log_url: 'http://slipway.test/jobs/7', description: '' },
      { state: 'success', environment_url: 'http://review.test', description: 'Deployed' },
    ]);
  });

  it('marks the previous successful deployment to the environment inactive, and filters lists', async () => {
    const first = await deploy({ environment: 'preview', required_contexts: [] });
    const second = await deploy({ environment: 'preview', required_contexts: [] });
    for (const d of [first, second])
      await octokit.request('POST /repos/acme/shop/deployments/{deployment_id}/statuses', {
        deployment_id: d.data.id,
        state: 'success',
      });
    const states = (id: number) =>
      github
        .deployments()
        .find((d) => d.id === id)
        ?.statuses.map((s) => s.state);
    expect(states(first.data.id)).toEqual(['success', 'inactive']);
    expect(states(second.data.id)).toEqual(['success']);
    const listed = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
      ...where,
      environment: 'preview',
    });
    expect(listed.data.map((d) => d.id)).toEqual([second.data.id, first.data.id]);
    const one = await octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}', {
      ...where,
      deployment_id: first.data.id,
    });
    expect(one.data.statuses_url).toBe(
      `${github.baseUrl}/repos/acme/shop/deployments/${first.data.id}/statuses`,
    );
    expect(
      (
        await requestFailure(
          octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}', {
            ...where,
            deployment_id: 1,
          }),
        )
      ).status,
    ).toBe(404);
  });

  it('accepts a 40-hex ref as the sha for a repository without a git directory', async () => {
    const bare = await startGitHubApiServer();
    const { id } = bare.addInstallation('acme', ['acme/api']);
    const installation = await probotFor(bare).auth(id);
    const sha = 'c'.repeat(40);
    const { data } = await installation.rest.repos.createDeployment({
      owner: 'acme',
      repo: 'api',
      ref: sha,
    });
    expect(data).toMatchObject({ sha, ref: sha });
    const branch = installation.rest.repos.createDeployment({
      owner: 'acme',
      repo: 'api',
      ref: 'main',
    });
    expect((await requestFailure(branch)).status).toBe(422);
    await bare.close();
  });
});
