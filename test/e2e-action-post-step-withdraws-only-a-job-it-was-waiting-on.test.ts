import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { runAction } from './helpers/action.js';
import type { TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer, waitForJob } from './helpers/server.js';

describe("the Action's post step withdraws a job only when the workflow was cancelled while the step waited on it", () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let remote: Record<string, string>;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repos-'));
    repo = repoIn(reposDir, 'tools', {
      'tasks/unwatched/manifest.json': job('unwatched', { ms: 3000 }),
      'tasks/abandoned/manifest.json': job('abandoned', { lines: ['abandoned began'], ms: 30_000 }),
    });
    server = await startServer({ reposDir });
    remote = { 'server-url': server.url, token: server.adminToken };
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  const deploy = (task: string) => ({
    ...remote,
    command: 'deploy-task',
    repository: 'tools',
    directory: `tasks/${task}`,
    branch: 'master',
    namespace: 'team',
  });

  it('with wait: false, the step returns at once and the job runs to its end', async () => {
    const run = await runAction({ ...deploy('unwatched'), wait: 'false' });
    expect(run.code, run.stdout).toBe(0);
    expect(['QUEUED', 'RUNNING']).toContain(run.outputs.status);
    // The summary says the job's status as read, not that it was queued.
    expect(run.outputs.summary).toBe(
      `deploy of task team/unwatched: ${run.outputs.status}, not waited for`,
    );
    const id = run.outputs['job-id'] as string;
    // The runner runs the post step always (post-if: always()), with what the step saved.
    const post = await runAction({ ...remote }, { state: run.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).not.toContain('withdrew');
    expect((await waitForJob(server, id)).status).toBe('COMPLETE');
  });

  it('cancelled while it waits, the step leaves the job to its post step, which withdraws it', async () => {
    const run = await runAction(deploy('abandoned'), {
      cancelWhen: /\[abandoned\] abandoned began/,
    });
    expect(run.signal).toBe('SIGINT');
    const id = /deploy of task team\/abandoned: job ([0-9a-f-]{36})/.exec(run.stdout)?.[1];
    expect(id, run.stdout).toBeDefined();
    expect((await server.api('GET', `/api/jobs/${id}`)).json.status).toBe('RUNNING');
    const post = await runAction({ ...remote }, { state: run.state });
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toContain(
      `::warning::withdrew Slipway job ${id}: the workflow stopped before it ended`,
    );
    expect((await waitForJob(server, id as string)).status).toBe('STOPPED');
    // A job that ended is left alone.
    const again = await runAction({ ...remote }, { state: run.state });
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).not.toContain('withdrew');
  });
});
