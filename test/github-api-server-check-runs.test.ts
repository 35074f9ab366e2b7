import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { installationToken, probotFor, requestFailure } from './helpers/github-api.js';

let github: GitHubApiServer;
let repo: TestRepo;
let installationId: number;
let plain: Octokit;
let token: string;

const where = { owner: 'acme', repo: 'shop' };

beforeAll(async () => {
  github = await startGitHubApiServer();
  repo = createRepo({ 'README.md': '# shop\n' });
  github.addRepository('acme/shop', repo.dir);
  installationId = github.addInstallation('acme', ['acme/shop']).id;
  token = await installationToken(github, installationId);
  plain = new Octokit({ baseUrl: github.baseUrl, auth: token });
});
afterAll(async () => {
  await github.close();
  repo.cleanup();
});

const validationFailed = (field: string, code = 'invalid') => ({
  status: 422,
  data: {
    message: 'Validation Failed',
    errors: [expect.objectContaining({ resource: 'CheckRun', code, field })],
    documentation_url: 'https://docs.github.com/rest',
  },
});

// GitHub's own answer, quoted in github/docs#35252.
const tooManyBytes = (field: 'summary' | 'text') => ({
  status: 422,
  data: {
    message: 'Validation Failed',
    errors: [
      {
        resource: 'CheckRun',
        code: 'custom',
        field,
        message: `${field} exceeds a maximum bytesize of 65535`,
      },
    ],
    documentation_url: 'https://docs.github.com/rest',
  },
});

const annotation = (line: number) => ({
  path: 'tasks/hello/manifest.json',
  start_line: line,
  end_line: line,
  annotation_level: 'failure' as const,
  message: `problem on line ${line}`,
});

describe('check runs', () => {
  it('creates, updates and lists a check run through Probot, accumulating annotations', async () => {
    const octokit = await probotFor(github).auth(installationId);
    const sha = repo.head();
    const created = await octokit.rest.checks.create({
      ...where,
      name: 'slipway/deploy',
      head_sha: sha,
      status: 'in_progress',
      external_id: 'job-1',
      details_url: 'http://slipway.test/jobs/1',
      output: { title: 'Deploying', summary: 'Applying 2 objects', annotations: [annotation(3)] },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      status: 'in_progress',
      conclusion: null,
      head_sha: sha,
      app: { id: github.appId },
    });

    const updated = await octokit.rest.checks.update({
      ...where,
      check_run_id: created.data.id,
      conclusion: 'failure',
      output: {
        title: 'Failed',
        summary: 'Job hello failed',
        text: 'logs...',
        annotations: [annotation(7)],
      },
    });
    expect(updated.data).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Failed', annotations_count: 2 },
    });
    expect(updated.data.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const listed = await octokit.rest.checks.listForRef({
      ...where,
      ref: 'main',
      check_name: 'slipway/deploy',
    });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.check_runs[0]?.id).toBe(created.data.id);
    const annotations = await octokit.rest.checks.listAnnotations({
      ...where,
      check_run_id: created.data.id,
    });
    expect(annotations.data.map((a) => a.start_line)).toEqual([3, 7]);

    const [stored] = github.checkRuns('acme/shop');
    expect(stored).toMatchObject({
      name: 'slipway/deploy',
      status: 'completed',
      conclusion: 'failure',
      external_id: 'job-1',
      output: { title: 'Failed', text: 'logs...', annotations: [annotation(3), annotation(7)] },
    });
    expect(stored?.history.map((h) => h.method)).toEqual(['POST', 'PATCH']);
  });

  it('lists only the latest run per name unless filter=all, and filters by status', async () => {
    const sha = repo.commit({ 'a.txt': 'a' });
    for (const status of ['completed', 'queued'] as const)
      await plain.request('POST /repos/{owner}/{repo}/check-runs', {
        ...where,
        name: 'build',
        head_sha: sha,
        status,
        ...(status === 'completed' ? { conclusion: 'success' } : {}),
      });
    const latest = await plain.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      ...where,
      ref: sha,
    });
    expect(latest.data.check_runs.map((r) => r.status)).toEqual(['queued']);
    const all = await plain.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      ...where,
      ref: sha,
      filter: 'all',
    });
    expect(all.data.total_count).toBe(2);
    const done = await plain.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      ...where,
      ref: sha,
      filter: 'all',
      status: 'completed',
    });
    expect(done.data.check_runs.map((r) => r.conclusion)).toEqual(['success']);
  });

  it('answers 422 naming the field for bad bodies', async () => {
    const create = (body: Record<string, unknown>) =>
      // A raw route string: these bodies break the typed parameters on purpose.
      requestFailure(plain.request('POST /repos/acme/shop/check-runs', body));
    const sha = repo.head();
    expect(await create({ name: 'x' })).toEqual(validationFailed('head_sha', 'missing_field'));
    expect(await create({ head_sha: sha })).toEqual(validationFailed('name', 'missing_field'));
    expect(await create({ name: 'x', head_sha: 'main' })).toEqual(validationFailed('head_sha'));
    expect(await create({ name: 'x', head_sha: sha, status: 'running' })).toEqual(
      validationFailed('status'),
    );
    expect(await create({ name: 'x', head_sha: sha, status: 'completed' })).toEqual(
      validationFailed('conclusion', 'missing_field'),
    );
    expect(await create({ name: 'x', head_sha: sha, conclusion: 'passed' })).toEqual(
      validationFailed('conclusion'),
    );
    // GitHub lists `stale` among conclusions, and alone sets it (a run left incomplete too long).
    expect(await create({ name: 'x', head_sha: sha, conclusion: 'stale' })).toEqual(
      validationFailed('conclusion'),
    );
    expect(await create({ name: 'x', head_sha: sha, output: { title: 't' } })).toEqual(
      validationFailed('output.summary', 'missing_field'),
    );
    expect(
      await create({
        name: 'x',
        head_sha: sha,
        output: { title: 't', summary: 's'.repeat(65536) },
      }),
    ).toEqual(tooManyBytes('summary'));
    const tooMany = Array.from({ length: 51 }, (_, i) => annotation(i + 1));
    expect(
      await create({
        name: 'x',
        head_sha: sha,
        output: { title: 't', summary: 's', annotations: tooMany },
      }),
    ).toEqual(validationFailed('output.annotations'));
    const badLevel = [{ ...annotation(1), annotation_level: 'error' }];
    expect(
      await create({
        name: 'x',
        head_sha: sha,
        output: { title: 't', summary: 's', annotations: badLevel },
      }),
    ).toEqual(validationFailed('output.annotations[0].annotation_level'));
    expect(await create({ name: 'x', head_sha: 'f'.repeat(40) })).toMatchObject({
      status: 422,
      data: { message: `No commit found for SHA: ${'f'.repeat(40)}` },
    });
    expect(github.checkRuns().filter((r) => r.name === 'x')).toEqual([]);
  });

  it('counts summary and text in UTF-8 bytes, as GitHub does, not in characters', async () => {
    const sha = repo.head();
    const create = (output: { summary: string; text?: string }) =>
      plain.request('POST /repos/{owner}/{repo}/check-runs', {
        ...where,
        name: 'bytes',
        head_sha: sha,
        output: { title: 't', ...output },
      });
    // 40,000 characters, 80,000 bytes: under a limit in characters, over GitHub's in bytes.
    const accented = 'é'.repeat(40_000);
    expect(await requestFailure(create({ summary: accented }))).toEqual(tooManyBytes('summary'));
    expect(await requestFailure(create({ summary: 's', text: accented }))).toEqual(
      tooManyBytes('text'),
    );
    // 16,384 emoji: 32,768 UTF-16 units, 65,536 bytes.
    expect(await requestFailure(create({ summary: '🚢'.repeat(16_384) }))).toEqual(
      tooManyBytes('summary'),
    );
    // Exactly 65,535 bytes is taken.
    const full = `${'é'.repeat(32_767)}a`;
    const taken = await create({ summary: full, text: full });
    expect(taken.status).toBe(201);
    expect(taken.data.output.summary).toBe(full);
    expect(github.checkRuns().filter((r) => r.name === 'bytes')).toHaveLength(1);
  });

  it('validates updates too, and answers 404 for unknown runs and 400 for bad JSON', async () => {
    const { data } = await plain.request('POST /repos/{owner}/{repo}/check-runs', {
      ...where,
      name: 'lint',
      head_sha: repo.head(),
    });
    expect(data.status).toBe('queued');
    const update = (body: Record<string, unknown>, id = data.id) =>
      requestFailure(
        plain.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          ...where,
          check_run_id: id,
          ...body,
        }),
      );
    expect(await update({ status: 'completed' })).toEqual(
      validationFailed('conclusion', 'missing_field'),
    );
    expect(await update({ conclusion: 'success' }, 1)).toMatchObject({
      status: 404,
      data: { message: 'Not Found' },
    });
    const response = await fetch(`${github.baseUrl}/repos/acme/shop/check-runs/${data.id}`, {
      method: 'PATCH',
      headers: {
        authorization: `token ${token}`,
        'content-type': 'application/json',
      },
      body: '{"status":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: 'Problems parsing JSON',
      documentation_url: 'https://docs.github.com/rest',
    });
    expect(github.checkRuns().find((r) => r.id === data.id)?.history).toHaveLength(1);
  });
});
