import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, manifest, type TestRepo } from './helpers/git.js';
import { pushToWorkspace } from './helpers/github-webhooks.js';
import {
  eventually,
  type Json,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

/** A job task that takes `ms` to finish: its deploy runs that long. */
function slowJob(ms: number): Record<string, string> {
  return {
    'tasks/slow/manifest.json': manifest({
      name: 'slow',
      type: 'job',
      cmd: ['node', '-e', `setTimeout(() => console.log('slow done'), ${ms})`],
    }),
  };
}

/** A PUT whose headers go now and whose body goes when `send` is called: a slow client. */
function slowPut(url: string, identity: string) {
  const request = httpRequest(url, {
    method: 'PUT',
    headers: { Identity: identity, 'content-type': 'application/json', 'content-length': '2' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
  request.flushHeaders();
  return {
    send(body: string) {
      request.end(body);
      return answer;
    },
  };
}

// What a freeze must hold besides new pushes, and what must stand once it ends.
describe('a pause of deploys: what was queued, what was forced, late pushes, and who may lift it', () => {
  let server: ServerProcess;
  const repos: TestRepo[] = [];

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    for (const repo of repos) repo.cleanup();
  });

  /** A workspace on a new repository, deployed once: its id and repository. */
  async function workspace(name: string): Promise<{ ws: Json; repo: TestRepo }> {
    const repo = createRepo(helloJob('hello'));
    repos.push(repo);
    const created = await server.api('POST', '/api/workspaces', { name, repositoryUrl: repo.dir });
    expect(created.status, created.text).toBe(201);
    const queued = await server.api('POST', `/api/workspaces/${created.json.id}/deployments`);
    expect((await waitForJob(server, queued.json.id)).status).toBe('COMPLETE');
    return { ws: created.json, repo };
  }

  /** A push to the workspace's own webhook: the job it answered. */
  async function push(ws: Json, after: string, before?: string): Promise<Json> {
    const response = await pushToWorkspace(server, ws, { after, ...(before ? { before } : {}) });
    expect(response.status).toBe(202);
    return response.json;
  }

  const deployed = async (ws: Json) =>
    (await server.api('GET', `/api/workspaces/${ws.id}`)).json.lastDeployment?.commitId;

  it('holds a deploy still queued when the pause begins, not the one running', async () => {
    const { ws, repo } = await workspace('queued');
    repo.commit(slowJob(2500));
    const running = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    await waitForJob(server, running.json.id, ['RUNNING']);
    // Queued behind it: a deploy of the branch head, which would take whatever the head is
    // when it runs, a commit pushed during the freeze too.
    const queued = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    const paused = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, {
      reason: 'freeze',
    });
    expect(paused.json.paused).toMatchObject({ held: 1, lastHeld: { jobId: queued.json.id } });
    const held = (await server.api('GET', `/api/jobs/${queued.json.id}`)).json;
    expect(held.status).toBe('STOPPED');
    expect(held.message).toMatch(
      /^not deployed \(queued before the pause\): deploys of workspace 'queued' are paused since .*: freeze;/,
    );
    const pushedDuring = repo.commit(helloJob('hello', 'pushed during the freeze'));
    expect((await waitForJob(server, running.json.id)).status).toBe('COMPLETE');
    expect(await deployed(ws)).not.toBe(pushedDuring);

    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    const done = await waitForJob(server, resumed.json._embedded.job.id);
    expect(done).toMatchObject({ status: 'COMPLETE', commitId: pushedDuring });
  });

  it('keeps a rollback forced during the pause: the resume deploys nothing held before it', async () => {
    const { ws, repo } = await workspace('rollback');
    const good = repo.head();
    await server.api('PUT', `/api/workspaces/${ws.id}/paused`);
    const bad = repo.commit(helloJob('hello', 'bad'));
    const held = await push(ws, bad);
    const rollback = await server.api(
      'POST',
      `/api/workspaces/${ws.id}/deployments?force=true&commit=${good}`,
    );
    expect((await waitForJob(server, rollback.json.id)).status).toBe('COMPLETE');
    // The same push again, by another way (a poll, the App): the commit is held already.
    const again = await push(ws, bad);
    expect(again.id).toBe(held.id);
    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.json._embedded).toBeUndefined();
    expect(await deployed(ws)).toBe(good);
  });

  it('keeps a rollback forced in the freeze that still waits, and one a late older push follows', async () => {
    const { ws, repo } = await workspace('forced-waits');
    const good = repo.head();
    repo.commit(slowJob(2500));
    const slow = repo.head();
    const running = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    await waitForJob(server, running.json.id, ['RUNNING']);
    await server.api('PUT', `/api/workspaces/${ws.id}/paused`);
    const c2 = repo.commit(helloJob('hello', 'c2'));
    const c3 = repo.commit(helloJob('hello', 'c3'));
    // Held: C3 (pushed on top of C2), the same C3 again by another way, then C3's parent C2
    // delivered late. Each commit is held once, and C2 is older than what was held: no news.
    const held = await push(ws, c3, c2);
    const x1 = repo.commit(helloJob('hello', 'x1'));
    expect((await push(ws, x1, c3)).status).toBe('STOPPED');
    expect((await push(ws, c3, c2)).id).toBe(held.id);
    // A rollback forced while the slow deploy still runs: it waits its turn.
    const rollback = await server.api(
      'POST',
      `/api/workspaces/${ws.id}/deployments?force=true&commit=${good}`,
    );
    expect((await push(ws, c2, slow)).status).toBe('STOPPED');
    // Resumed while the rollback waits: it stands, nothing more is deployed.
    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    expect(resumed.json._embedded).toBeUndefined();
    expect((await waitForJob(server, rollback.json.id)).status).toBe('COMPLETE');
    expect(await deployed(ws)).toBe(good);
  });

  it('after a resume, a push of an older commit delivered late does not take the workspace back', async () => {
    const { ws, repo } = await workspace('late');
    const start = repo.head();
    const a = repo.commit(helloJob('hello', 'a'));
    const b = repo.commit(helloJob('hello', 'b'));
    await server.api('PUT', `/api/workspaces/${ws.id}/paused`);
    expect((await push(ws, b, a)).status).toBe('STOPPED');
    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    expect((await waitForJob(server, resumed.json._embedded.job.id)).commitId).toBe(b);
    // GitHub delivers the push of A only now (a redelivery of a failed delivery, say).
    const late = await push(ws, a, start);
    await waitForJob(server, late.id);
    expect(await deployed(ws)).toBe(b);
  });

  it('is changed, lifted and stepped over only by who paused it, the owner and the admin', async () => {
    const { ws } = await workspace('guarded');
    /** A request as `who`, named by the Identity header a trusted peer (loopback) may send. */
    const as = async (who: string, method: string, route: string, body?: unknown) => {
      const response = await fetch(`${server.url}${route}`, {
        method,
        headers: { Identity: who, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: (await response.json()) as Json };
    };
    // Mallory starts a PUT while nothing is paused and sends its body only once Alice paused.
    const slow = slowPut(`${server.url}/api/workspaces/${ws.id}/paused`, 'mallory@example.com');
    // Its handler is under way, waiting for the body, before Alice's request comes.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const paused = await as('alice@example.com', 'PUT', `/api/workspaces/${ws.id}/paused`, {
      reason: 'incident INC-42',
    });
    expect(paused.status).toBe(200);
    const takeover = await slow.send('{}');
    expect(takeover.status).toBe(403);
    // Re-paused without a reason by who paused it: the reason stays.
    const again = await as('alice@example.com', 'PUT', `/api/workspaces/${ws.id}/paused`, {});
    expect(again.json.paused).toMatchObject({
      by: 'alice@example.com',
      reason: 'incident INC-42',
    });

    const refusals = [
      await as('mallory@example.com', 'DELETE', `/api/workspaces/${ws.id}/paused`),
      await as('mallory@example.com', 'PUT', `/api/workspaces/${ws.id}/paused`, { reason: 'x' }),
      await as('mallory@example.com', 'POST', `/api/workspaces/${ws.id}/deployments?force=true`),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(403);
      expect(refused.json.message).toMatch(
        /^deploys of workspace 'guarded' are paused by alice@example\.com; only they, the workspace's owner \(admin\) and the admin may (resume its deploys|change the pause|deploy past it), not mallory@example\.com$/,
      );
    }
    const still = (await server.api('GET', `/api/workspaces/${ws.id}`)).json.paused;
    expect(still).toMatchObject({ by: 'alice@example.com', reason: 'incident INC-42' });
    // A plan changes nothing: anyone may still ask for one.
    const plan = await as(
      'mallory@example.com',
      'POST',
      `/api/workspaces/${ws.id}/deployments?plan=true&force=true`,
    );
    expect(plan.status).toBe(202);
    const lifted = await as('alice@example.com', 'DELETE', `/api/workspaces/${ws.id}/paused`);
    expect(lifted.status).toBe(200);
    expect(lifted.json.paused).toBeNull();
    // Anyone may pause a workspace that is not paused (it stops changes), and lift that pause.
    expect((await as('mallory@example.com', 'PUT', `/api/workspaces/${ws.id}/paused`)).status).toBe(
      200,
    );
    expect(
      (await as('mallory@example.com', 'DELETE', `/api/workspaces/${ws.id}/paused`)).status,
    ).toBe(200);
    // The answers are scripted into CI logs: they leave the deployment secret out, even for
    // the owner, who reads it with GET.
    const byOwner = await server.api('PUT', `/api/workspaces/${ws.id}/paused`);
    expect(byOwner.json.deploymentSecret).toBeUndefined();
    const resumed = await server.api('DELETE', `/api/workspaces/${ws.id}/paused`);
    expect(resumed.json.deploymentSecret).toBeUndefined();
    expect((await server.api('GET', `/api/workspaces/${ws.id}`)).json.deploymentSecret).toBe(
      ws.deploymentSecret,
    );
  });

  it('ends by itself at its time, deploying what it held, as a resume would', async () => {
    const { ws, repo } = await workspace('until');
    const until = new Date(Date.now() + 3000).toISOString();
    const paused = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, {
      reason: 'freeze',
      until,
    });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json.paused).toMatchObject({ reason: 'freeze', until });
    const refused = await server.api('POST', `/api/workspaces/${ws.id}/deployments`);
    expect(refused.json.message).toContain(`(until ${until}): freeze`);
    const pushed = repo.commit(helloJob('hello', 'shipped after the freeze'));
    expect((await push(ws, pushed)).status).toBe('STOPPED');
    // Re-paused without `until`: the end stays.
    const again = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, {});
    expect(again.json.paused.until).toBe(until);

    const resumed = await eventually(
      async () => {
        const found = (await server.api('GET', `/api/workspaces/${ws.id}`)).json;
        return found.paused === null ? found : undefined;
      },
      'the pause to end by itself',
      20_000,
    );
    expect(resumed.paused).toBeNull();
    const deploy = await eventually(async () => {
      const jobs = (await server.api('GET', `/api/workspaces/${ws.id}/jobs`)).json._embedded.jobs;
      return jobs.find((j: Json) => j.status === 'COMPLETE' && j.commitId === pushed);
    }, 'the branch head deployed once the pause ended');
    expect(
      server
        .logs()
        .some(
          (l) =>
            l.msg ===
              "deploys of workspace 'until' resumed: 1 deploy was held during the pause, the branch head is deployed" &&
            l.by === 'pause-expiry' &&
            l.jobId === deploy.id,
        ),
    ).toBe(true);
  });

  it('refuses an end that is past, too far or no time, naming the value', async () => {
    const { ws } = await workspace('until-bad');
    const cases: Array<[string, string]> = [
      ['2020-01-01T00:00:00Z', 'expected a time after now and within 90 days'],
      ['2999-01-01T00:00:00Z', 'expected a time after now and within 90 days'],
      ['next monday', 'expected an ISO-8601 time with its offset'],
      ['2026-12-07T09:00:00', 'expected an ISO-8601 time with its offset'],
      ['2027-02-29T00:00:00Z', 'expected an ISO-8601 time with its offset'],
      ['2026-12-07T24:00:00Z', 'expected an ISO-8601 time with its offset'],
    ];
    for (const [until, expected] of cases) {
      const refused = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, { until });
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json.message).toBe(
        `"until" is "${until}"; ${expected}${expected.endsWith('offset') ? ', such as 2026-12-07T09:00:00Z' : ''}`,
      );
    }
    expect((await server.api('GET', `/api/workspaces/${ws.id}`)).json.paused).toBeNull();
  });

  it('refuses a reason of several lines or control characters, naming the field', async () => {
    const { ws } = await workspace('reasons');
    for (const reason of ['freeze\nFAKE LINE', 'red \u001b[31malert', 'x'.repeat(501)]) {
      const refused = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, { reason });
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json.message).toMatch(/^"reason" (holds a line break|has 501 characters)/);
    }
    // 300 emoji are 300 characters, not 600.
    const emoji = await server.api('PUT', `/api/workspaces/${ws.id}/paused`, {
      reason: '🧊'.repeat(300),
    });
    expect(emoji.status, emoji.text).toBe(200);
    expect((await server.api('GET', `/api/workspaces/${ws.id}`)).json.paused).not.toBeNull();
  });
});
