import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { aboutRepository, examplePayload, githubAppEnv } from './helpers/github-webhooks.js';
import { type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const GOOD = Number(process.env.RELIABILITY_DELIVERIES ?? 5000);
/** The memory bound an operator can size for: well under the 1 GiB limit of deploy/. */
const MEMORY_BOUND_MB = 400;

describe('load: 10,000 webhook deliveries, half of them forged or redelivered, while deploys run', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob());
    github.addRepository('acme/shop', repo.dir);
    const installation = github.addInstallation('acme', ['acme/shop']).id;
    server = await startServer({
      env: {
        ...githubAppEnv(github),
        LOG_LEVEL: 'info',
      },
    });
    await server.api('POST', '/api/workspaces', { name: 'shop', repositoryUrl: 'acme/shop' });
    const payload = aboutRepository(
      examplePayload('push', undefined, (p) => Boolean(p.installation)),
      'acme/shop',
      installation,
    );
    Object.assign(payload, { ref: 'refs/heads/main', after: repo.head(), deleted: false });
    body = JSON.stringify(payload);
    signature = await sign(github.webhookSecret, body);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  let body = '';
  let signature = '';

  it('makes exactly one job per good delivery, none for the rest, and stays under its memory bound', async () => {
    type Kind = 'good' | 'forged' | 'redelivery';
    const plan: Kind[] = [
      ...Array<Kind>(GOOD).fill('good'),
      ...Array<Kind>(GOOD / 2).fill('forged'),
      ...Array<Kind>(GOOD / 2).fill('redelivery'),
    ].sort(() => Math.random() - 0.5);
    const delivered = new Map<string, string>();
    const unexpected: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < plan.length) {
          const kind = plan[next++] as Kind;
          const known = [...delivered.keys()];
          const id =
            kind === 'redelivery' && known.length > 0
              ? (known[Math.floor(Math.random() * known.length)] as string)
              : randomUUID();
          const redelivery = delivered.has(id);
          const response = await fetch(`${server.url}/api/github/webhooks`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'push',
              'x-github-delivery': id,
              'x-hub-signature-256': kind === 'forged' ? `sha256=${'1'.repeat(64)}` : signature,
            },
            body,
          });
          const answer = (await response.json()) as {
            jobs?: Array<{ job: string; created: boolean }>;
          };
          if (kind === 'forged') {
            if (response.status !== 401) unexpected.push(`forged -> ${response.status}`);
            continue;
          }
          const job = answer.jobs?.[0];
          if (response.status !== 202 || !job) {
            unexpected.push(`${kind} -> ${response.status} ${JSON.stringify(answer)}`);
          } else if (redelivery) {
            if (job.created || job.job !== delivered.get(id))
              unexpected.push(`redelivery of ${id} made ${job.job}`);
          } else {
            if (!job.created) unexpected.push(`first delivery of ${id} made nothing`);
            delivered.set(id, job.job);
          }
        }
      }),
    );
    expect(unexpected).toEqual([]);
    const jobs = await server.api('GET', '/api/jobs?type=WORKSPACE_DEPLOY&size=1');
    expect(jobs.json.page.totalElements).toBe(delivered.size);
    expect(new Set(delivered.values()).size).toBe(delivered.size);
    // Newer pushes supersede queued ones: the queue drains, everything ends.
    await eventually(
      async () => {
        const active = await server.api('GET', '/api/jobs?status=QUEUED&size=1');
        const running = await server.api('GET', '/api/jobs?status=RUNNING&size=1');
        return active.json.page.totalElements + running.json.page.totalElements === 0
          ? true
          : undefined;
      },
      'the queue to drain',
      60_000,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const rss =
      Number(/^slipway_process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1]) / 2 ** 20;
    expect(rss).toBeLessThan(MEMORY_BOUND_MB);
    const refused =
      /^slipway_webhook_deliveries_total\{source="github-app",event="unverified",outcome="refused"\} (\S+)$/m.exec(
        metrics,
      );
    expect(Number(refused?.[1])).toBe(GOOD / 2);
  }, 300_000);
});
