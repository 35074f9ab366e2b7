import {
  type AccountRecord,
  APP_EVENTS,
  APP_PERMISSIONS,
  type GitHubState,
  type InstallationRecord,
  type PullRequestRecord,
  type RepositoryRecord,
} from './github-state.js';
import { isoTime } from './reply.js';
import { defaultBranch, resolveCommit } from './resolve-ref.js';

/** A GraphQL node id, opaque like GitHub's. */
export function nodeId(type: string, id: number): string {
  return Buffer.from(`0:${type}${id}`).toString('base64url');
}

export function accountJson(state: GitHubState, account: AccountRecord) {
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId('Organization', account.id),
    type: 'Organization',
    site_admin: false,
    url: `${state.apiUrl}/users/${account.login}`,
    html_url: `${state.url}/${account.login}`,
  };
}

/** `GET /app`, and the `app` of check runs and deployments. */
export function appJson(state: GitHubState) {
  const owner = state.account('slipway-test');
  return {
    id: state.app.id,
    slug: state.app.slug,
    node_id: nodeId('Integration', state.app.id),
    client_id: `Iv1.${state.app.id.toString(16).padStart(16, '0')}`,
    owner: accountJson(state, owner),
    name: state.app.slug,
    description: 'Slipway test app',
    external_url: state.url,
    html_url: `${state.url}/apps/${state.app.slug}`,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    installations_count: state.installations.size,
  };
}

export function installationJson(state: GitHubState, installation: InstallationRecord) {
  const { id, account } = installation;
  return {
    id,
    account: accountJson(state, account),
    repository_selection: 'selected',
    access_tokens_url: `${state.apiUrl}/app/installations/${id}/access_tokens`,
    repositories_url: `${state.apiUrl}/installation/repositories`,
    html_url: `${state.url}/organizations/${account.login}/settings/installations/${id}`,
    app_id: state.app.id,
    app_slug: state.app.slug,
    target_id: account.id,
    target_type: 'Organization',
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    created_at: isoTime(installation.createdAt),
    updated_at: isoTime(installation.createdAt),
    single_file_name: null,
    suspended_at: installation.suspendedAt ? isoTime(installation.suspendedAt) : null,
    suspended_by: installation.suspendedAt ? accountJson(state, account) : null,
  };
}

export function repositoryJson(state: GitHubState, repository: RepositoryRecord) {
  const { id, fullName } = repository;
  return {
    id,
    node_id: nodeId('Repository', id),
    name: repository.name,
    full_name: fullName,
    private: repository.private,
    visibility: repository.private ? 'private' : 'public',
    owner: accountJson(state, state.account(repository.owner)),
    html_url: `${state.url}/${fullName}`,
    url: `${state.apiUrl}/repos/${fullName}`,
    clone_url: `${state.url}/${fullName}.git`,
    deployments_url: `${state.apiUrl}/repos/${fullName}/deployments`,
    default_branch: defaultBranch(repository.dir),
    fork: false,
    archived: false,
    disabled: false,
  };
}

/**
 * `GET /repos/{owner}/{repo}/pulls/{pull_number}`, and the `pull_request` of its events. The
 * base's `sha` is its branch's head in the served repository (null without one).
 */
export function pullRequestJson(
  state: GitHubState,
  repository: RepositoryRecord,
  pull: PullRequestRecord,
) {
  const { fullName } = repository;
  const repo = repositoryJson(state, repository);
  const owner = accountJson(state, state.account(repository.owner));
  const user = { ...accountJson(state, state.account(pull.user)), type: 'User' };
  const time = (ms: number | null) => (ms === null ? null : isoTime(ms));
  return {
    url: `${state.apiUrl}/repos/${fullName}/pulls/${pull.number}`,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: `${state.url}/${fullName}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user,
    body: null,
    created_at: time(pull.createdAt),
    updated_at: time(pull.updatedAt),
    closed_at: time(pull.closedAt),
    merged_at: time(pull.mergedAt),
    draft: false,
    head: {
      label: `${repository.owner}:${pull.head.ref}`,
      ref: pull.head.ref,
      sha: pull.head.sha,
      user: owner,
      repo,
    },
    base: {
      label: `${repository.owner}:${pull.base.ref}`,
      ref: pull.base.ref,
      sha: resolveCommit(repository.dir, pull.base.ref) ?? null,
      user: owner,
      repo,
    },
    labels: pull.labels.map((name) => {
      const id = [...name].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) % 1_000_000_007, 7);
      return {
        id,
        node_id: nodeId('Label', id),
        url: `${state.apiUrl}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
        name,
        color: 'ededed',
        default: false,
        description: null,
      };
    }),
    author_association: 'CONTRIBUTOR',
    merged: pull.merged,
    merged_by: pull.merged ? user : null,
  };
}
