import type { Job } from '../../core/types.js';

/** Where a job came from on GitHub, kept in `job.params.origin.github`: what to report to. */
export interface GitHubOrigin {
  installationId: number;
  /** `owner/name`. */
  repository: string;
  /** The commit the check run and the deployment are on. */
  headSha: string;
  /** `deploy` reports a check run and a GitHub deployment; `plan` a check run only. */
  kind: 'deploy' | 'plan';
  /** `Slipway / <workspace>` or `Slipway plan / <workspace>`. */
  checkName: string;
  /** The GitHub deployment's environment: the workspace's name. */
  environment: string;
  pullRequest?: number;
}

/** The check run name of a workspace's deploys or plans. */
export function checkNameOf(workspaceName: string, kind: GitHubOrigin['kind']): string {
  return kind === 'plan' ? `Slipway plan / ${workspaceName}` : `Slipway / ${workspaceName}`;
}

/** The job's GitHub origin, or undefined for a job that did not come from GitHub. */
export function githubOriginOf(job: Job): GitHubOrigin | undefined {
  const origin = job.params.origin as { github?: GitHubOrigin } | undefined;
  return origin?.github;
}

/** `job.params.origin` for a job started from GitHub. */
export function originParams(origin: GitHubOrigin): Record<string, unknown> {
  return { github: origin };
}
