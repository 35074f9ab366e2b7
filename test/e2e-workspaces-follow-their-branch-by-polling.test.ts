import { renameSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, git, type TestRepo } from './helpers/git.js';
import {
  eventually,
  jobLog,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

const UNREADABLE = /^could not read the head of branch main of workspace 'gone'/;

describe('workspaces follow their branch by polling it (SLIPWAY_POLL_SECONDS)', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let workspaceId: string;
  /** The repository's first and second commits. */
  let first: string;
  let second: string;

  beforeAll(async () => {
    repo = createRepo(helloJob('hello', 'first'));
    first = repo.head();
    server = await startServer({ env: { SLIPWAY_POLL_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  const jobs = async (): Promise<Array<{ id: string; commitId: string; status: string }>> =>
    (await server.api('GET', `/api/workspaces/${workspaceId}/jobs?size=100`)).json._embedded.jobs;
  /** The workspace's deploy of `commit`, once it has ended. */
  const deployOf = (commit: string) =>
    eventually(
      async () => {
        const job = (await jobs()).find((j) => j.commitId === commit);
        return job && ['COMPLETE', 'ERROR', 'STOPPED'].includes(job.status) ? job : undefined;
      },
      `a deploy of ${commit.slice(0, 7)}`,
    );

  it('deploys a workspace never deployed, then each commit its branch moves to', async () => {
    const created = await server.api('POST', '/api/workspaces', {
      name: 'polled',
      repositoryUrl: repo.dir,
    });
    workspaceId = created.json.id;
    const initial = await deployOf(first);
    expect(initial.status, await jobLog(server, initial.id)).toBe('COMPLETE');

    second = repo.commit(helloJob('hello', 'second'));
    const moved = await deployOf(second);
    expect(moved.status).toBe('COMPLETE');
    expect(await jobLog(server, moved.id)).toContain('[hello] second');
    expect(
      server.logs().filter((l) => String(l.msg).startsWith('branch main of workspace')),
    ).toHaveLength(2);
  });

  it('leaves a rollback be until the branch moves again', async () => {
    const rollback = await server.api(
      'POST',
      `/api/workspaces/${workspaceId}/deployments?commit=${first}`,
    );
    expect((await waitForJob(server, rollback.json.id)).status).toBe('COMPLETE');
    const count = (await jobs()).length;
    // Three polls at least.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await jobs()).toHaveLength(count);
    const workspace = await server.api('GET', `/api/workspaces/${workspaceId}`);
    expect(workspace.json.lastDeployment.commitId).toBe(first);

    const third = repo.commit(helloJob('hello', 'third'));
    expect((await deployOf(third)).status).toBe('COMPLETE');
    expect(await jobs()).toHaveLength(count + 1);

    // A branch reset to a head it had before is a move of its own: deployed again.
    git(repo.dir, 'reset', '--hard', '--quiet', second);
    const again = await eventually(
      async () => {
        const [newest] = await jobs();
        return newest?.commitId === second && newest.status === 'COMPLETE' ? newest : undefined;
      },
      `${second.slice(0, 7)} deployed again`,
    );
    expect(await jobLog(server, again.id)).toContain('[hello] second');
    expect(await jobs()).toHaveLength(count + 2);
  });

  it('says once that a repository is out of reach, and goes on polling the others', async () => {
    const lost = createRepo(helloJob('hello', 'soon gone'));
    const gone = await server.api('POST', '/api/workspaces', {
      name: 'gone',
      repositoryUrl: lost.dir,
    });
    expect(gone.status).toBe(201);
    await eventually(
      async () =>
        (await server.api('GET', `/api/workspaces/${gone.json.id}`)).json.lastDeployment
          ?.commitId === lost.head()
          ? true
          : undefined,
      'the doomed workspace deployed',
    );
    // Moved away at once: a removal under way would fail reads in more ways than one.
    renameSync(lost.dir, `${lost.dir}-moved`);
    await eventually(
      async () => server.logs().find((l) => UNREADABLE.test(String(l.msg))),
      'a warning that the repository is out of reach',
    );
    const fourth = repo.commit(helloJob('hello', 'fourth'));
    expect((await deployOf(fourth)).status).toBe('COMPLETE');
    expect(
      server
        .logs()
        .filter((l) => UNREADABLE.test(String(l.msg)))
        .map((l) => l.reason),
    ).toEqual([`repository '${lost.dir}' not found: no such directory`]);
    rmSync(`${lost.dir}-moved`, { recursive: true, force: true });
  });

  it('holds each move of a paused workspace once, and deploys the head on resume', async () => {
    const paused = await server.api('PUT', `/api/workspaces/${workspaceId}/paused`, {
      reason: 'freeze',
    });
    expect(paused.status, paused.text).toBe(200);
    const count = (await jobs()).length;
    const fifth = repo.commit(helloJob('hello', 'fifth'));
    const held = await deployOf(fifth);
    expect(held.status).toBe('STOPPED');
    expect((await server.api('GET', `/api/jobs/${held.id}`)).json.message).toMatch(
      /^not deployed: deploys of workspace 'polled' are paused since .*: freeze;/,
    );
    // Three polls at least: the same move is not held again.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await jobs()).toHaveLength(count + 1);
    const workspace = await server.api('GET', `/api/workspaces/${workspaceId}`);
    expect(workspace.json.paused).toMatchObject({ held: 1, lastHeld: { commitId: fifth } });
    expect(workspace.json.lastDeployment.commitId).not.toBe(fifth);

    const resumed = await server.api('DELETE', `/api/workspaces/${workspaceId}/paused`);
    const done = await waitForJob(server, resumed.json._embedded.job.id);
    expect(done).toMatchObject({ status: 'COMPLETE', commitId: fifth });
    expect(await jobLog(server, done.id)).toContain('[hello] fifth');
  });
});
