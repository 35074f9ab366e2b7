import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import {
  aboutRepository,
  examplePayload,
  githubAppEnv,
  pushEvent,
} from './helpers/github-webhooks.js';
import { freePort } from './helpers/ports.js';
import { type ServerProcess, startServer } from './helpers/server.js';
import { eventually } from './helpers/wait.js';

const REPO = 'acme/shop';
const ASKED = 'asked GitHub to deliver again a webhook delivery that did not get through';
const LOOKED = 'looked for webhook deliveries that did not get through';

describe('the GitHub App asks GitHub again for the webhook deliveries it missed', () => {
  let github: GitHubApiServer;
  let repo: TestRepo;
  let server: ServerProcess;
  let installationId: number;
  let workspaceId: string;
  let env: Record<string, string>;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello'));
    github.addRepository(REPO, repo.dir);
    installationId = github.addInstallation('acme', [REPO]).id;
    // One port for every start, as a server behind a fixed address: GitHub's Webhook URL.
    const port = await freePort();
    env = { ...githubAppEnv(github), PORT: String(port) };
    github.setWebhookUrl(`http://127.0.0.1:${port}/api/github/webhooks`);
    server = await startServer({ dataDir, env });
    const created = await server.api('POST', '/api/workspaces', {
      name: 'shop',
      repositoryUrl: REPO,
    });
    expect(created.status, created.text).toBe(201);
    workspaceId = created.json.id;
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  const deploysOf = async (commit: string) =>
    (
      await server.api('GET', `/api/workspaces/${workspaceId}/jobs?size=100`)
    ).json._embedded.jobs.filter((job: { commitId: string }) => job.commitId === commit);

  it('deploys a push sent while Slipway was down, once it is back, and only once', async () => {
    // Answered 400 while up: a payload unlike GitHub's is refused again however often it comes.
    const malformed = await github.sendWebhook('push', {
      ...pushEvent(REPO, installationId, repo.head()),
      after: 'not-a-commit',
    });
    expect(malformed.status_code).toBe(400);

    await server.stop();
    const pushed = repo.commit({ 'README.md': 'while Slipway was down' });
    const lost = await github.sendWebhook('push', pushEvent(REPO, installationId, pushed));
    expect(lost.status).toBe('failed to connect');
    // A re-run asked for while it was down is not asked for again: it would deploy an older
    // commit over newer ones, whenever it came.
    const rerun = aboutRepository(examplePayload('check_run', 'rerequested'), REPO, installationId);
    rerun.check_run.head_sha = repo.head();
    expect((await github.sendWebhook('check_run', rerun)).status).toBe('failed to connect');

    server = await startServer({ dataDir, env });
    const [deploy] = await eventually(
      async () => {
        const jobs = await deploysOf(pushed);
        return jobs.length > 0 && jobs.every((j: { status: string }) => j.status === 'COMPLETE')
          ? jobs
          : undefined;
      },
      `a COMPLETE deploy of ${pushed.slice(0, 7)}`,
    );
    expect(deploy.commitId).toBe(pushed);
    const again = github.hookDeliveries().filter((d) => d.redelivery);
    expect(again).toEqual([
      expect.objectContaining({ guid: lost.guid, event: 'push', status: 'OK', status_code: 202 }),
    ]);
    expect(server.logs().filter((l) => l.msg === ASKED)).toEqual([
      expect.objectContaining({ delivery: lost.guid, event: 'push', status: 'failed to connect' }),
    ]);

    // Started again, it finds nothing more to ask for: the push got through.
    await server.stop();
    server = await startServer({ dataDir, env });
    const looked = await eventually(
      async () => server.logs().find((l) => l.msg === LOOKED),
      'a look for deliveries that did not get through',
    );
    expect(looked).toMatchObject({ askedAgain: 0 });
    await github.redelivered();
    expect(github.hookDeliveries().filter((d) => d.redelivery)).toHaveLength(1);
    expect(await deploysOf(pushed)).toHaveLength(1);
  });
});
