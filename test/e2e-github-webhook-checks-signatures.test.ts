import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { request, type ServerProcess, startServer, waitForJob } from './helpers/server.js';

function sign(algorithm: 'sha1' | 'sha256', secret: string, body: string): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

describe('the Matatika GitHub webhook', () => {
  let server: ServerProcess;
  let repo: TestRepo;
  let workspace: { id: string; deploymentSecret: string };
  let hook: string;

  beforeAll(async () => {
    repo = createRepo(helloJob());
    server = await startServer();
    workspace = (
      await server.api('POST', '/api/workspaces', { name: 'hooked', repositoryUrl: repo.dir })
    ).json;
    hook = `${server.url}/api/workspaces/${workspace.id}/deployments/github-webhook`;
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  async function jobCount(): Promise<number> {
    return (await server.api('GET', `/api/workspaces/${workspace.id}/jobs`)).json.page
      .totalElements;
  }

  function push(after: string, ref = 'refs/heads/main'): string {
    return JSON.stringify({
      ref,
      after,
      before: '0'.repeat(40),
      deleted: false,
      repository: { full_name: 'acme/demo' },
    });
  }

  it('deploys the pushed commit for a push signed with X-Hub-Signature-256', async () => {
    const body = push(repo.head());
    const response = await request(hook, 'POST', body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'delivery-256',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, body),
    });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ type: 'WORKSPACE_DEPLOY', status: 'QUEUED' });
    const done = await waitForJob(server, response.json.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.commitId).toBe(repo.head());
  });

  it("accepts the seed's legacy X-Hub-Signature (sha1) over an empty-object body", async () => {
    const body = '{ }';
    const response = await request(hook, 'POST', body, {
      'content-type': 'application/json',
      'x-hub-signature': sign('sha1', workspace.deploymentSecret, body),
    });
    expect(response.status).toBe(202);
    expect(response.json._links.self.href).toBe(`${server.url}/api/jobs/${response.json.id}`);
  });

  it("accepts GitHub's form-encoded payloads", async () => {
    const body = new URLSearchParams({ payload: push(repo.head()) }).toString();
    const response = await request(hook, 'POST', body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'push',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, body),
    });
    expect(response.status).toBe(202);
  });

  it('refuses a missing, malformed or wrong signature with 401 and stores nothing', async () => {
    const before = await jobCount();
    const body = push(repo.head());
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-hub-signature-256': 'sha256=zz' },
      { 'x-hub-signature-256': sign('sha256', 'another-workspace-secret', body) },
      { 'x-hub-signature': sign('sha1', 'another-workspace-secret', body) },
      { 'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, `${body} `) },
      // The right digest with a digit more, or less: a malformed header, not a match.
      { 'x-hub-signature-256': `${sign('sha256', workspace.deploymentSecret, body)}f` },
      { 'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, body).slice(0, -1) },
    ];
    for (const headers of attempts) {
      const response = await request(hook, 'POST', body, {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'forged',
        ...headers,
      });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.json).toMatchObject({ status: 401, error: 'Unauthorized' });
      expect(response.json.message).toMatch(/X-Hub-Signature/);
    }
    expect(await jobCount()).toBe(before);
  });

  it('answers ping with 200, and ignores pushes to other branches and other events', async () => {
    const before = await jobCount();
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const pong = await request(hook, 'POST', ping, {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, ping),
    });
    expect(pong.status).toBe(200);
    const other = push(repo.head(), 'refs/heads/feature');
    const ignored = await request(hook, 'POST', other, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, other),
    });
    expect(ignored.status).toBe(200);
    expect(ignored.json.message).toContain('refs/heads/feature');
    const issue = JSON.stringify({ action: 'opened' });
    const event = await request(hook, 'POST', issue, {
      'content-type': 'application/json',
      'x-github-event': 'issues',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, issue),
    });
    expect(event.status).toBe(200);
    expect(await jobCount()).toBe(before);
  });

  it('returns the same job when GitHub redelivers the same delivery', async () => {
    const before = await jobCount();
    const body = push(repo.head());
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, body),
    };
    const first = await request(hook, 'POST', body, headers);
    const again = await request(hook, 'POST', body, headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.json.id).toBe(first.json.id);
    expect(await jobCount()).toBe(before + 1);
  });

  it('refuses a signed payload whose push fields are not what GitHub sends, naming the field', async () => {
    const before = await jobCount();
    for (const [payload, problem] of [
      [{ ref: 5 }, '"ref" is 5; expected a ref such as refs/heads/main'],
      [
        { ref: 'refs/heads/main', after: 'zzz' },
        '"after" is "zzz"; expected a 40-character commit id',
      ],
      [{ ref: 'refs/heads/main', deleted: 'no' }, '"deleted" is "no"; expected true or false'],
    ] as const) {
      const body = JSON.stringify(payload);
      const response = await request(hook, 'POST', body, {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': sign('sha256', workspace.deploymentSecret, body),
      });
      expect(response.status, body).toBe(400);
      expect(response.json.message).toBe(`push payload is invalid: ${problem}`);
    }
    expect(await jobCount()).toBe(before);
  });

  it('counts its deliveries in slipway_webhook_deliveries_total, as source workspace', async () => {
    const metrics = (await request(`${server.url}/metrics`, 'GET')).text;
    const series = (event: string, outcome: string) =>
      Number(
        metrics.match(
          new RegExp(
            `^slipway_webhook_deliveries_total\\{source="workspace",event="${event}",outcome="${outcome}"\\} (\\d+)$`,
            'm',
          ),
        )?.[1] ?? 0,
      );
    expect(series('push', 'queued')).toBeGreaterThanOrEqual(3);
    expect(series('push', 'redelivery')).toBeGreaterThanOrEqual(1);
    expect(series('push', 'refused')).toBeGreaterThanOrEqual(3);
    expect(series('unverified', 'refused')).toBeGreaterThanOrEqual(1);
    expect(series('ping', 'ignored')).toBeGreaterThanOrEqual(1);
  });

  it('404s for an unknown workspace', async () => {
    const response = await request(
      `${server.url}/api/workspaces/unknown/deployments/github-webhook`,
      'POST',
      '{}',
      {
        'content-type': 'application/json',
      },
    );
    expect(response.status).toBe(404);
  });
});
