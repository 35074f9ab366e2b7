import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskSecrets } from '../app/github/mask-secrets.js';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { helloJob } from './fixtures/tasks.js';
import { createRepo, type TestRepo } from './helpers/git.js';
import { installationToken } from './helpers/github-api.js';
import {
  dashboardPage,
  jobLog,
  request,
  type ServerProcess,
  startServer,
  waitForJob,
} from './helpers/server.js';

/**
 * A workspace's repositoryUrl may carry git credentials (`https://user:TOKEN@host/...`, or a
 * token alone, `https://TOKEN@host/...`). Git gets them; the job log, the job's result, the
 * dashboard and everyone but the workspace's owner and the admin see `***` instead.
 */
describe('credentials in a workspace repository URL', () => {
  let github: GitHubApiServer;
  let server: ServerProcess;
  let repo: TestRepo;
  let token: string;
  let url: string;
  let masked: string;

  const as = (identity: string) => ({ identity });

  beforeAll(async () => {
    github = await startGitHubApiServer();
    repo = createRepo(helloJob('hello', 'hello over http'));
    github.addRepository('acme/shop', repo.dir, { private: true });
    token = await installationToken(github, github.addInstallation('acme', ['acme/shop']).id);
    const host = new URL(github.url).host;
    url = `http://x-access-token:${token}@${host}/acme/shop.git`;
    masked = `http://***@${host}/acme/shop.git`;
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    repo?.cleanup();
  });

  it('fetches with them, and keeps them out of the job log and the job result', async () => {
    const ws = await server.api('POST', '/api/workspaces', { name: 'private', repositoryUrl: url });
    expect(ws.status).toBe(201);
    const queued = await server.api('POST', `/api/workspaces/${ws.json.id}/deployments`);
    const job = await waitForJob(server, queued.json.id);
    const log = await jobLog(server, job.id);
    expect(job.status, log).toBe('COMPLETE');
    expect(log).toContain('hello over http');
    expect(log).toContain(`fetching ${masked} at branch main`);
    expect(log).not.toContain(token);
    expect(job.result.repository).toBe(masked);
    expect(JSON.stringify(job)).not.toContain(token);
  });

  it('shows the URL whole to its owner and the admin, masked to everyone else', async () => {
    const tokenOnly = 'https://ghp_0123456789abcdefghijABCDEFGHIJ0123@example.com/a/b.git';
    const created = await request(
      `${server.url}/api/workspaces`,
      'POST',
      { name: 'alices', repositoryUrl: tokenOnly },
      as('alice@example.com'),
    );
    expect(created.status).toBe(201);
    expect(created.json.repositoryUrl).toBe(tokenOnly);
    const id = created.json.id;

    const byOwner = await request(`${server.url}/api/workspaces/${id}`, 'GET', undefined, {
      ...as('alice@example.com'),
    });
    expect(byOwner.json.repositoryUrl).toBe(tokenOnly);
    expect((await server.api('GET', `/api/workspaces/${id}`)).json.repositoryUrl).toBe(tokenOnly);

    const byOther = await request(`${server.url}/api/workspaces/${id}`, 'GET', undefined, {
      ...as('mallory@example.com'),
    });
    expect(byOther.json.repositoryUrl).toBe('https://***@example.com/a/b.git');
    expect(byOther.json.deploymentSecret).toBeUndefined();
    const list = await request(`${server.url}/api/workspaces?size=100`, 'GET', undefined, {
      ...as('mallory@example.com'),
    });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('ghp_0123456789');
    expect(list.text).not.toContain(token);
    expect(list.text).toContain(masked);
  });

  it('masks them on the dashboard, and links to the repository without them', async () => {
    const page = await dashboardPage(server);
    expect(page).toContain('Workspaces');
    expect(page).not.toContain(token);
    expect(page).not.toContain('ghp_0123456789');
    expect(page).toContain(`>${masked}</a>`);
    expect(page).toContain(`href="${masked.replace('***@', '')}"`);
  });

  it('keeps the stored credentials when a PUT sends the masked URL back unchanged', async () => {
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'round-trip',
      repositoryUrl: url,
    });
    const id = ws.json.id;
    // What a client shown the masked URL sends back, with another field changed.
    const put = await server.api('PUT', `/api/workspaces/${id}`, {
      repositoryUrl: masked,
      timeoutSeconds: 120,
    });
    expect(put.status).toBe(200);
    expect(put.json.repositoryUrl).toBe(url);
    expect(put.json.timeoutSeconds).toBe(120);
    // The credentials still work: git gets them, not `***`.
    const queued = await server.api('POST', `/api/workspaces/${id}/deployments`);
    const job = await waitForJob(server, queued.json.id);
    expect(job.status, await jobLog(server, job.id)).toBe('COMPLETE');

    // A masked URL that is not this workspace's own would send `***` to git: refused.
    const elsewhere = await server.api('PUT', `/api/workspaces/${id}`, {
      repositoryUrl: 'https://***@example.com/other.git',
      timeoutSeconds: 60,
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.message).toContain(
      '"repositoryUrl" is "https://***@example.com/other.git"; expected the credentials themselves',
    );
    const after = await server.api('GET', `/api/workspaces/${id}`);
    expect(after.json).toMatchObject({ repositoryUrl: url, timeoutSeconds: 120 });
    const create = await server.api('POST', '/api/workspaces', {
      name: 'masked-from-the-start',
      repositoryUrl: masked,
    });
    expect(create.status).toBe(400);
    expect(create.json.message).toContain('"repositoryUrl" is');

    // Credentials removed on purpose (the URL without them) are removed.
    const plain = masked.replace('***@', '');
    const cleared = await server.api('PUT', `/api/workspaces/${id}`, { repositoryUrl: plain });
    expect(cleared.json.repositoryUrl).toBe(plain);
  });

  it('masks a token-only URL in a check run log tail as well', () => {
    expect(maskSecrets('fetching https://s3cr3t-PAT-0042@git.example.com/demo at main')).toBe(
      'fetching https://***@git.example.com/demo at main',
    );
    expect(maskSecrets('fetching http://deploy:s3cr3t-PAT-0042@127.0.0.1:18602/demo')).toBe(
      'fetching http://***@127.0.0.1:18602/demo',
    );
  });
});
