import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/core';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { installationToken, probotFor, requestFailure } from './helpers/github-api.js';
import { freePort } from './helpers/ports.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('the GitHub API test server delivers webhooks, lists the deliveries and redelivers', () => {
  let github: GitHubApiServer;
  let receiver: Server;
  let receiverUrl: string;
  /** What the receiver answers next. */
  let answer = 200;
  const received: Received[] = [];

  beforeAll(async () => {
    github = await startGitHubApiServer();
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await github?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('signs each delivery and records how it went: OK, an error answer, no connection', async () => {
    github.setWebhookUrl(receiverUrl);
    const payload = { action: 'opened', installation: { id: 7 }, repository: { id: 9 } };
    const ok = await github.sendWebhook('pull_request', payload);
    expect(ok).toMatchObject({
      status: 'OK',
      status_code: 200,
      redelivery: false,
      event: 'pull_request',
      action: 'opened',
      installation_id: 7,
      repository_id: 9,
    });
    const [first] = received;
    expect(first?.headers).toMatchObject({
      'x-github-event': 'pull_request',
      'x-github-delivery': ok.guid,
      'x-github-hook-installation-target-type': 'integration',
    });
    expect(JSON.parse(first?.body ?? '')).toEqual(payload);
    const signature = String(first?.headers['x-hub-signature-256']);
    expect(await verify(github.webhookSecret, first?.body ?? '', signature)).toBe(true);

    answer = 503;
    expect(await github.sendWebhook('push', { ref: 'refs/heads/main' })).toMatchObject({
      status: 'Invalid HTTP Response: 503',
      status_code: 503,
      action: null,
    });
    answer = 200;
    github.setWebhookUrl(`http://127.0.0.1:${await freePort()}/hooks`);
    expect(await github.sendWebhook('push', { ref: 'refs/heads/main' })).toMatchObject({
      status: 'failed to connect',
      status_code: 0,
    });
  });

  it('lists deliveries to the App alone, newest first, a cursor at a time', async () => {
    const app = await probotFor(github).auth();
    const { data, headers } = await app.request('GET /app/hook/deliveries', { per_page: 2 });
    const all = github.hookDeliveries();
    expect(data.map((d) => d.id)).toEqual([all[2]?.id, all[1]?.id]);
    expect(data[0]).not.toHaveProperty('body');
    const next = /<([^>]+)>; rel="next"/.exec(headers.link ?? '')?.[1] ?? '';
    expect(new URL(next).searchParams.get('cursor')).toBe(String(all[1]?.id));
    const rest = await app.request(`GET ${next.slice(github.baseUrl.length)}`);
    expect(rest.data.map((d: { id: number }) => d.id)).toEqual([all[0]?.id]);
    expect(rest.headers.link).toBeUndefined();

    const token = await installationToken(github, github.addInstallation('acme', []).id);
    const asInstallation = new Octokit({ baseUrl: github.baseUrl, auth: token });
    expect((await requestFailure(asInstallation.request('GET /app/hook/deliveries'))).status).toBe(
      401,
    );
  });

  it('redelivers a delivery on request: the same guid and body, as a new delivery', async () => {
    github.setWebhookUrl(receiverUrl);
    const failed = github.hookDeliveries().find((d) => d.status === 'failed to connect');
    const app = await probotFor(github).auth();
    const asked = await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', {
      delivery_id: failed?.id ?? 0,
    });
    expect(asked.status).toBe(202);
    const [again] = await github.redelivered();
    expect(again).toMatchObject({ guid: failed?.guid, redelivery: true, status: 'OK' });
    expect(received.at(-1)?.headers['x-github-delivery']).toBe(failed?.guid);
    expect(received.at(-1)?.body).toBe('{"ref":"refs/heads/main"}');
    const missing = await requestFailure(
      app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: 999_999 }),
    );
    expect(missing.status).toBe(404);
  });
});
