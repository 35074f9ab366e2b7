import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { deliver, examplePayload, githubAppEnv } from './helpers/github-webhooks.js';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * `slipway_webhook_deliveries_total` is labelled by event. A refused delivery's X-GitHub-Event is
 * whatever its sender wrote: counted under its own value, each forged POST would add a series
 * and grow the metrics (and every scrape) without bound. Refused ones count as `unverified`;
 * verified events outside the ones the App knows count as `other`.
 */
describe('webhook delivery metrics', () => {
  let github: GitHubApiServer;
  let server: ServerProcess;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    server = await startServer({ env: githubAppEnv(github) });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await github?.close();
  });

  const series = (metrics: string) =>
    metrics.split('\n').filter((line) => line.startsWith('slipway_webhook_deliveries_total{'));

  it('count forged deliveries under one label, whatever event they name', async () => {
    for (let i = 0; i < 3; i++) {
      const forged = await deliver(server.url, `evil_${i}_${'x'.repeat(40)}`, {}, '', {
        signature: 'sha256=00',
      });
      expect(forged.status).toBe(401);
    }
    const verified = await deliver(
      server.url,
      'made_up_event',
      { zen: 'Keep it logically awesome.' },
      github.webhookSecret,
    );
    expect(verified.status).toBe(202);
    const ping = await deliver(server.url, 'ping', examplePayload('ping'), github.webhookSecret);
    expect(ping.status).toBe(202);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const lines = series(metrics);
    expect(lines.join('\n')).not.toContain('evil_');
    expect(lines.join('\n')).not.toContain('made_up_event');
    expect(lines).toContain(
      'slipway_webhook_deliveries_total{source="github-app",event="unverified",outcome="refused"} 3',
    );
    expect(lines).toContain(
      'slipway_webhook_deliveries_total{source="github-app",event="other",outcome="ignored"} 1',
    );
    expect(lines).toContain(
      'slipway_webhook_deliveries_total{source="github-app",event="ping",outcome="ignored"} 1',
    );
  });
});
