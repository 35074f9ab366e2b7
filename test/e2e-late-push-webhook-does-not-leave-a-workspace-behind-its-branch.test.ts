import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob, slowJob, slowJobStarted } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { jobLog, request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

/**
 * GitHub does not promise to deliver webhooks in order. With commits X, A, B on main (B the
 * head), B's push may arrive before A's. Whether B's deploy is still queued (X deploying: A's
 * supersedes it) or already running, deploying A would leave the workspace on A while main is
 * B. The late push deploys the head.
 */
describe('a push webhook that arrives after a newer one', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let scratch: string;
  let workspace: { id: string; deploymentSecret: string };
  let x: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-late-push-'));
    repo = createRepo(slowJob('work', path.join(scratch, 'x.marker'), 2500));
    x = repo.head();
    a = repo.commit({ ...helloJob('work', 'at A') });
    // B's deploy takes a while too: its gate runs for 2.5 s.
    b = repo.commit({
      ...helloJob('work', 'at B'),
      ...slowJob('gate', path.join(scratch, 'b.marker'), 2500),
    });
    server = await startServer();
    workspace = (
      await server.api('POST', '/api/workspaces', { name: 'ordered', repositoryUrl: repo.dir })
    ).json;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A push of `after`; with `before`, where the branch was (GitHub sends it; not every sender). */
  async function push(after: string, delivery: string, before?: string) {
    const body = JSON.stringify({ ref: 'refs/heads/main', before, after, deleted: false });
    const signature = createHmac('sha256', workspace.deploymentSecret).update(body).digest('hex');
    const response = await request(
      `${server.url}/api/workspaces/${workspace.id}/deployments/github-webhook`,
      'POST',
      body,
      {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${signature}`,
      },
    );
    expect(response.status).toBe(202);
    return response.json.id as string;
  }

  /** Deploys X (slow), and waits until it runs, so that what comes next queues behind it. */
  async function slowDeployOfX() {
    rmSync(path.join(scratch, 'x.marker'), { force: true });
    const deploy = await server.api(
      'POST',
      `/api/workspaces/${workspace.id}/deployments?commit=${x}`,
    );
    await slowJobStarted(path.join(scratch, 'x.marker'));
    return deploy.json.id as string;
  }

  /** A's late push ended COMPLETE having deployed B, the head, and said why. */
  async function expectHeadDeployedBy(jobA: string) {
    const late = await waitForJob(server, jobA);
    const log = await jobLog(server, jobA);
    expect(late.status, log).toBe('COMPLETE');
    expect(log).toContain(
      `commit ${a.slice(0, 12)} was pushed before ${b.slice(0, 12)}, the head of branch main, whose push came first`,
    );
    expect(log).not.toContain('at A');
    expect(late.commitId).toBe(b);
    const ws = (await server.api('GET', `/api/workspaces/${workspace.id}`)).json;
    expect(ws.lastDeployment.commitId).toBe(b);
  }

  it('deploys the branch head, not its older commit', async () => {
    const first = await slowDeployOfX();
    const jobB = await push(b, 'late-1-b');
    const jobA = await push(a, 'late-1-a');

    const superseded = await waitForJob(server, jobB);
    expect(superseded.status).toBe('STOPPED');
    expect(superseded.message).toContain(`superseded by job ${jobA}`);
    expect((await waitForJob(server, first)).status).toBe('COMPLETE');

    await expectHeadDeployedBy(jobA);
    // It ran B's tasks itself: B's own deploy never ran.
    expect(await jobLog(server, jobA)).toContain('at B');
  });

  it("leaves the newer push's queued deploy be when the pushes say where the branch was", async () => {
    const first = await slowDeployOfX();
    const jobB = await push(b, 'late-4-b', a);
    const jobA = await push(a, 'late-4-a', x);
    // B's push was made on top of A: A's does not supersede it, and B's own deploy runs.
    const deployedB = await waitForJob(server, jobB);
    expect(deployedB.status, deployedB.message ?? '').toBe('COMPLETE');
    expect(deployedB.commitId).toBe(b);
    expect(await jobLog(server, jobB)).toContain('at B');
    expect((await waitForJob(server, first)).status).toBe('COMPLETE');
    await expectHeadDeployedBy(jobA);
  });

  it('still deploys a commit asked for by name (a rollback) as asked', async () => {
    const first = await slowDeployOfX();
    const jobB = await push(b, 'late-2-b');
    const rollback = await server.api(
      'POST',
      `/api/workspaces/${workspace.id}/deployments?commit=${a}`,
    );
    expect((await waitForJob(server, jobB)).status).toBe('STOPPED');
    expect((await waitForJob(server, first)).status).toBe('COMPLETE');
    const done = await waitForJob(server, rollback.json.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.commitId).toBe(a);
    expect(await jobLog(server, done.id)).toContain('at A');
  });

  it('deploys the branch head when the newer push is already deploying', async () => {
    // The workspace is on A (the rollback above); B's push deploys, and A's comes meanwhile.
    rmSync(path.join(scratch, 'b.marker'), { force: true });
    const jobB = await push(b, 'late-3-b');
    await slowJobStarted(path.join(scratch, 'b.marker'));
    const jobA = await push(a, 'late-3-a');
    expect((await waitForJob(server, jobB)).status).toBe('COMPLETE');
    await expectHeadDeployedBy(jobA);
  });

  it('deploys pushes in order each as pushed', async () => {
    const c = repo.commit({ ...helloJob('work', 'at C') });
    const d = repo.commit({ ...helloJob('work', 'at D') });
    // C's push deploys C, though D is in git already: Slipway has not heard of D yet.
    const jobC = await push(c, 'in-order-c');
    const doneC = await waitForJob(server, jobC);
    const jobD = await push(d, 'in-order-d');
    const doneD = await waitForJob(server, jobD);
    expect([doneC.status, doneC.commitId]).toEqual(['COMPLETE', c]);
    expect([doneD.status, doneD.commitId]).toEqual(['COMPLETE', d]);
    expect(await jobLog(server, jobC)).toContain('at C');
    expect(await jobLog(server, jobD)).toContain('at D');
  });
});
