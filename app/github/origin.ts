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

/**
 * What a job reports to on GitHub, or undefined for a job that does not report there. A job of
 * a branch head (asked over REST) reports on the commit its deploy fetched: until then, there
 * is nothing to report on, and it is undefined too.
 */
export function githubOriginOf(job: Job): GitHubOrigin | undefined {
  const github = keptOriginOf(job);
  if (!github || github.headSha) return github as GitHubOrigin | undefined;
  return job.commitId ? { ...github, headSha: job.commitId } : undefined;
}

/** The origin as the job keeps it: without a commit for a deploy of a branch head. */
export function keptOriginOf(job: Job): KeptOrigin | undefined {
  return (job.params.origin as { github?: KeptOrigin } | undefined)?.github;
}

/** An origin as a job keeps it: without the commit when the deploy is to find it. */
export type KeptOrigin = Omit<GitHubOrigin, 'headSha'> & { headSha?: string };

/** `job.params.origin` for a job that reports to GitHub. */
export function originParams(origin: KeptOrigin): Record<string, unknown> {
  return { github: origin };
}

/**
 * The commit a deploy took in place of the one it reports on, or undefined: a push GitHub
 * delivered after a newer one's deploys the branch head (see `deployWorkspace`), and its check
 * run and GitHub deployment stay on the pushed commit.
 */
export function deployedInstead(job: Job, origin: GitHubOrigin): string | undefined {
  if (origin.kind !== 'deploy' || !job.commitId || job.commitId === origin.headSha)
    return undefined;
  return job.commitId;
}
