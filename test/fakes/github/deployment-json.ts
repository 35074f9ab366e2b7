import { appJson, nodeId } from './github-objects.js';
import type { GitHubState } from './github-state.js';

export interface RecordedDeploymentStatus {
  id: number;
  state: string;
  description: string;
  environment: string;
  environment_url: string;
  log_url: string;
  created_at: string;
}

/** A deployment as stored, its statuses oldest first. */
export interface RecordedDeployment {
  id: number;
  repository: string;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  payload: unknown;
  task: string;
  auto_merge: boolean;
  required_contexts: string[] | undefined;
  transient_environment: boolean;
  production_environment: boolean;
  created_at: string;
  statuses: RecordedDeploymentStatus[];
}

/** The deployment as the REST API shows it. */
export function deploymentJson(state: GitHubState, d: RecordedDeployment) {
  const url = `${state.apiUrl}/repos/${d.repository}/deployments/${d.id}`;
  const {
    statuses: _statuses,
    repository,
    required_contexts: _contexts,
    auto_merge: _merge,
    ...fields
  } = d;
  return {
    ...fields,
    url,
    node_id: nodeId('Deployment', d.id),
    original_environment: d.environment,
    creator: appJson(state).owner,
    updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
    statuses_url: `${url}/statuses`,
    repository_url: `${state.apiUrl}/repos/${repository}`,
    performed_via_github_app: appJson(state),
  };
}

/** A deployment status as the REST API shows it. */
export function statusJson(state: GitHubState, d: RecordedDeployment, s: RecordedDeploymentStatus) {
  const url = `${state.apiUrl}/repos/${d.repository}/deployments/${d.id}`;
  return {
    ...s,
    url: `${url}/statuses/${s.id}`,
    node_id: nodeId('DeploymentStatus', s.id),
    target_url: s.log_url,
    updated_at: s.created_at,
    creator: appJson(state).owner,
    deployment_url: url,
    repository_url: `${state.apiUrl}/repos/${d.repository}`,
    performed_via_github_app: appJson(state),
  };
}
