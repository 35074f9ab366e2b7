import { GitHubError, validationFailed } from './github-error.js';
import type { GitHubState } from './github-state.js';

export const DEPLOYMENT_STATES = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
];

/** A create-deployment body after GitHub's checks and defaults. */
export interface DeploymentInput {
  ref: string;
  task: string;
  auto_merge: boolean;
  required_contexts: string[] | undefined;
  payload: unknown;
  environment: string;
  description: string | null;
  transient_environment: boolean;
  production_environment: boolean;
}

function optional<T>(
  body: Record<string, unknown>,
  field: string,
  type: string,
  resource: string,
): T | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw validationFailed(resource, field, 'invalid');
  return value as T;
}

/** Checks `POST /repos/:o/:r/deployments` (422 naming the field) and fills GitHub's defaults. */
export function validateDeployment(body: Record<string, unknown>): DeploymentInput {
  const ref = optional<string>(body, 'ref', 'string', 'Deployment');
  if (!ref) throw validationFailed('Deployment', 'ref', 'missing_field');
  const contexts = body.required_contexts;
  if (
    contexts !== undefined &&
    (!Array.isArray(contexts) || contexts.some((x) => typeof x !== 'string'))
  )
    throw validationFailed('Deployment', 'required_contexts', 'invalid');
  const environment = optional<string>(body, 'environment', 'string', 'Deployment') ?? 'production';
  const payload = body.payload ?? {};
  if (typeof payload !== 'object' && typeof payload !== 'string')
    throw validationFailed('Deployment', 'payload', 'invalid');
  return {
    ref,
    task: optional<string>(body, 'task', 'string', 'Deployment') ?? 'deploy',
    auto_merge: optional<boolean>(body, 'auto_merge', 'boolean', 'Deployment') ?? true,
    required_contexts: contexts as string[] | undefined,
    payload,
    environment,
    description: optional<string>(body, 'description', 'string', 'Deployment') ?? null,
    transient_environment:
      optional<boolean>(body, 'transient_environment', 'boolean', 'Deployment') ?? false,
    production_environment:
      optional<boolean>(body, 'production_environment', 'boolean', 'Deployment') ??
      environment === 'production',
  };
}

/**
 * GitHub refuses a deployment while the commit's checks are not green: every required context
 * (all of the commit's check runs when `required_contexts` is not given) must have succeeded,
 * else 409 `Conflict: Commit status checks failed for <ref>.`
 */
export function checkRequiredContexts(
  state: GitHubState,
  repository: string,
  sha: string,
  input: DeploymentInput,
): void {
  const latest = new Map<string, string>();
  for (const run of state.checkRuns) {
    if (run.repository !== repository || run.head_sha !== sha) continue;
    const green = ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '');
    latest.set(run.name, run.status !== 'completed' ? 'pending' : green ? 'success' : 'failure');
  }
  const required = input.required_contexts ?? [...latest.keys()];
  const failing = required
    .map((context) => ({ context, state: latest.get(context) ?? 'missing' }))
    .filter((c) => c.state !== 'success');
  if (failing.length === 0) return;
  throw new GitHubError(409, `Conflict: Commit status checks failed for ${input.ref}.`, [
    { contexts: failing, resource: 'Deployment', field: 'required_contexts', code: 'invalid' },
  ]);
}

/** Checks `POST .../deployments/:id/statuses`: a known state, a description of at most 140. */
export function validateDeploymentStatus(body: Record<string, unknown>) {
  const resource = 'DeploymentStatus';
  const state = optional<string>(body, 'state', 'string', resource);
  if (!state) throw validationFailed(resource, 'state', 'missing_field');
  if (!DEPLOYMENT_STATES.includes(state)) throw validationFailed(resource, 'state', 'invalid');
  const description = optional<string>(body, 'description', 'string', resource) ?? '';
  if (description.length > 140)
    throw validationFailed(
      resource,
      'description',
      'custom',
      'description is too long (maximum is 140 characters)',
    );
  return {
    state,
    description,
    environment: optional<string>(body, 'environment', 'string', resource),
    environment_url: optional<string>(body, 'environment_url', 'string', resource) ?? '',
    log_url: optional<string>(body, 'log_url', 'string', resource) ?? '',
    auto_inactive: optional<boolean>(body, 'auto_inactive', 'boolean', resource) ?? true,
  };
}
