import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { pushToWorkspace } from './helpers/github-webhooks.js';
import { type Receiver, receiver } from './helpers/notification-receiver.js';
import { type Json, type ServerProcess, startServer, waitForJob } from './helpers/server.js';
import { eventually, sleep } from './helpers/wait.js';

const SECRET = 'notify-secret-0123456789abcdef';
const PUBLIC_URL = 'https://slipway.example.com';

const broken = { 'tasks/hello/manifest.json': manifest({ name: 'hello', type: 'cronjob' }) };

describe('notifications of deploys (SLIPWAY_NOTIFY_URL)', () => {
  let chat: Receiver;
  let repo: TestRepo;
  let server: ServerProcess;
  let workspaceId: string;
  /** How the chat answers: 503 once for the first failure, then 200. */
  let refusals = 1;

  beforeAll(async () => {
    chat = await receiver(() => (refusals-- > 0 ? 503 : 200));
    repo = createRepo(helloJob('hello'));
    server = await startServer({
      env: {
        SLIPWAY_NOTIFY_URL: chat.url,
        SLIPWAY_NOTIFY_SECRET: SECRET,
        SLIPWAY_PUBLIC_URL: PUBLIC_URL,
      },
    });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: repo.dir,
    });
    workspaceId = created.json.id;
  });
  afterAll(async () => {
    await server?.stop();
    await chat?.close();
    repo?.cleanup();
  });

  const deploy = async (): Promise<Json> => {
    const queued = await server.api('POST', `/api/workspaces/${workspaceId}/deployments`);
    return waitForJob(server, queued.json.id);
  };

  it('says nothing of a deploy that succeeds', async () => {
    expect((await deploy()).status).toBe('COMPLETE');
    await sleep(1000);
    expect(chat.received).toEqual([]);
  });

  it('tells a failure once, signed, retrying a receiver that answered 503', async () => {
    const head = repo.commit(broken);
    const failed = await deploy();
    expect(failed.status).toBe('ERROR');
    const delivered = await eventually(
      () => chat.received.find((r) => r.answered === 200),
      'the failure delivered',
      20_000,
    );
    // The first attempt got the 503 and was sent again after its Retry-After: the same delivery.
    expect(chat.received.map((r) => r.answered)).toEqual([503, 200]);
    expect(chat.received.map((r) => r.headers['x-slipway-delivery'])).toEqual([
      failed.id,
      failed.id,
    ]);
    expect(delivered.headers['x-slipway-event']).toBe('job.ended');
    expect(delivered.headers['content-type']).toBe('application/json');
    const signature = createHmac('sha256', SECRET).update(delivered.body).digest('hex');
    expect(delivered.headers['x-slipway-signature-256']).toBe(`sha256=${signature}`);
    expect(delivered.json).toMatchObject({
      event: 'job.ended',
      outcome: 'failed',
      subject: "workspace 'shop'",
      job: {
        id: failed.id,
        type: 'WORKSPACE_DEPLOY',
        status: 'ERROR',
        commitId: head,
        message: failed.message,
        identity: 'admin',
        url: `${PUBLIC_URL}/jobs/${failed.id}`,
      },
      workspace: {
        id: workspaceId,
        name: 'shop',
        namespace: 'shop',
        branch: 'main',
        preview: null,
      },
    });
    expect(delivered.json.text).toBe(
      `❌ Deploy of workspace 'shop' at ${head.slice(0, 7)} failed: ${failed.message} (${PUBLIC_URL}/jobs/${failed.id})`,
    );
    const metrics = await server.api('GET', '/metrics');
    expect(metrics.text).toContain('slipway_notifications_total{outcome="retried"} 1');
    expect(metrics.text).toContain('slipway_notifications_total{outcome="sent"} 1');
  });

  it('tells the first success after a failure, and nothing of the ones after it', async () => {
    const head = repo.commit(helloJob('hello', 'fixed'));
    const fixed = await deploy();
    expect(fixed.status).toBe('COMPLETE');
    const recovered = await eventually(
      () => chat.received.find((r) => r.json.outcome === 'recovered'),
      'the recovery told',
    );
    expect(recovered.json.text).toBe(
      `✅ Deploy of workspace 'shop' at ${head.slice(0, 7)} succeeded; the last one had failed (${PUBLIC_URL}/jobs/${fixed.id})`,
    );
    const count = chat.received.length;
    expect((await deploy()).status).toBe('COMPLETE');
    await sleep(1000);
    expect(chat.received).toHaveLength(count);
  });

  it('tells a pause of deploys and its end, whoever paused it and why', async () => {
    await server.api('PUT', `/api/workspaces/${workspaceId}/paused`, {
      reason: 'freeze <until> Monday',
    });
    // The pause's answer leaves the deployment secret out; GET shows it to the owner.
    const ws = (await server.api('GET', `/api/workspaces/${workspaceId}`)).json;
    const held = await pushToWorkspace(server, ws, { after: repo.head() }, 'held-1');
    expect(held.json.status).toBe('STOPPED');
    const resumed = await server.api('DELETE', `/api/workspaces/${workspaceId}/paused`);
    const job = resumed.json._embedded.job;
    const told = await eventually(() => {
      const found = chat.received.filter((r) => r.json.event === 'workspace.pause');
      return found.length === 2 ? found.map((r) => r.json) : undefined;
    }, 'the pause and the resume told');
    expect(told.map((n) => n.text)).toEqual([
      `⏸️ Deploys of workspace 'shop' paused by admin: freeze &lt;until&gt; Monday (${PUBLIC_URL}/)`,
      `▶️ Deploys of workspace 'shop' resumed by admin; 1 deploy was held, the branch head is deployed (${PUBLIC_URL}/jobs/${job.id})`,
    ]);
    expect(told[1]).toMatchObject({
      outcome: 'resumed',
      job: null,
      pause: { by: 'admin', reason: 'freeze <until> Monday', held: 1, deployJobId: job.id },
    });
    await waitForJob(server, job.id);
  });

  it("never writes the receiver's URL path or the secret to the log", () => {
    const output = server.output.join('\n');
    expect(output).toContain('notifying 127.0.0.1');
    expect(output).not.toContain('keep-this-path-secret');
    expect(output).not.toContain(SECRET);
  });
});

describe('notifications of every end (SLIPWAY_NOTIFY_ON=all) to a receiver that refuses them', () => {
  let chat: Receiver;
  let repo: TestRepo;
  let server: ServerProcess;

  beforeAll(async () => {
    chat = await receiver(() => 410);
    repo = createRepo(helloJob('hello'));
    server = await startServer({
      env: { SLIPWAY_NOTIFY_URL: chat.url, SLIPWAY_NOTIFY_ON: 'all' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await chat?.close();
    repo?.cleanup();
  });

  it('tells a success, gives up at once on a 4xx, and deploys go on', async () => {
    const created = await server.api('POST', '/api/workspaces', {
      name: 'plain',
      repositoryUrl: repo.dir,
    });
    const queued = await server.api('POST', `/api/workspaces/${created.json.id}/deployments`);
    const done = await waitForJob(server, queued.json.id);
    expect(done.status).toBe('COMPLETE');
    const told = await eventually(() => chat.received[0], 'a notification');
    expect(told.json).toMatchObject({ outcome: 'succeeded', job: { id: done.id, url: null } });
    expect(told.json.text).toMatch(/^✅ Deploy of workspace 'plain' at [0-9a-f]{7} succeeded$/);
    expect(told.headers['x-slipway-signature-256']).toBeUndefined();
    const warning = await eventually(
      () => server.logs().find((l) => String(l.msg).startsWith('gave up notifying')),
      'a warning that the receiver refused it',
    );
    expect(warning).toMatchObject({ jobId: done.id, reason: '410 Gone', attempts: 1 });
    // A plan is not news, even with every end told.
    const plan = await server.api(
      'POST',
      `/api/workspaces/${created.json.id}/deployments?plan=true`,
    );
    await waitForJob(server, plan.json.id);
    await sleep(1000);
    expect(chat.received).toHaveLength(1);
  });
});
