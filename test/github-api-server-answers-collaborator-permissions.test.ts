import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubApiServer, startGitHubApiServer } from './fakes/github/index.js';
import { installationToken, requestFailure } from './helpers/github-api.js';

// `GET /repos/{owner}/{repo}/collaborators/{username}/permission` as GitHub answers it: the
// legacy permission (maintain shown as write, triage as read) beside the role, none for
// someone who is no collaborator of a private repository, read on a public one.
describe('the GitHub API test server: collaborator permissions', () => {
  let github: GitHubApiServer;
  let octokit: Octokit;

  const permissionOf = async (repo: string, username: string) => {
    const { data } = await octokit.request(
      'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
      { owner: 'acme', repo, username },
    );
    return { permission: data.permission, role: data.role_name, login: data.user?.login };
  };

  beforeAll(async () => {
    github = await startGitHubApiServer();
    github.addRepository('acme/site', '/nonexistent');
    github.addRepository('acme/docs', '/nonexistent', { private: false });
    github.addRepository('other/secret', '/nonexistent');
    for (const [login, role] of [
      ['alice', 'admin'],
      ['bob', 'maintain'],
      ['carol', 'write'],
      ['dave', 'triage'],
      ['erin', 'read'],
    ] as const) {
      github.setCollaborator('acme/site', login, role);
    }
    const installation = github.addInstallation('acme', ['acme/site', 'acme/docs']);
    github.addInstallation('other', ['other/secret']);
    octokit = new Octokit({
      baseUrl: github.baseUrl,
      auth: await installationToken(github, installation.id),
    });
  });
  afterAll(async () => {
    await github?.close();
  });

  it('maps each role to the legacy permission, and keeps the role', async () => {
    expect(await permissionOf('site', 'alice')).toEqual({
      permission: 'admin',
      role: 'admin',
      login: 'alice',
    });
    expect(await permissionOf('site', 'bob')).toMatchObject({
      permission: 'write',
      role: 'maintain',
    });
    expect(await permissionOf('site', 'Carol')).toMatchObject({
      permission: 'write',
      role: 'write',
    });
    expect(await permissionOf('site', 'dave')).toMatchObject({
      permission: 'read',
      role: 'triage',
    });
    expect(await permissionOf('site', 'erin')).toMatchObject({ permission: 'read', role: 'read' });
  });

  it('answers none for a stranger to a private repository, read on a public one', async () => {
    expect(await permissionOf('site', 'mallory')).toMatchObject({
      permission: 'none',
      role: 'none',
    });
    expect(await permissionOf('docs', 'mallory')).toMatchObject({
      permission: 'read',
      role: 'read',
    });
  });

  it('is a 404 for a repository the installation does not cover, and a 401 without a token', async () => {
    const hidden = await requestFailure(
      octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
        owner: 'other',
        repo: 'secret',
        username: 'alice',
      }),
    );
    expect(hidden.status).toBe(404);
    const anonymous = await requestFailure(
      new Octokit({ baseUrl: github.baseUrl }).request(
        'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
        { owner: 'acme', repo: 'site', username: 'alice' },
      ),
    );
    expect(anonymous.status).toBe(404);
  });
});
