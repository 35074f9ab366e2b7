/**
 * The GitHub API test server: a fake GitHub (Enterprise-style REST under `/api/v3`, plus git
 * smart HTTP) for testing Slipway's GitHub App through the real Probot and Octokit over HTTP.
 *
 * Conventions worth knowing when writing tests against it:
 * - One GitHub App per server (`appId` 4242 by default) with a fresh PKCS#1 `privateKey`.
 *   App routes (`/app...`, `/repos/:o/:r/installation`, ...) need its RS256 JWT (`iss` = app
 *   id, `iat` at most 60 s ahead, `exp` in the future and at most ~10 minutes after `iat`);
 *   everything else takes an installation token (`token ghs_...`, `Bearer ghs_...`, or Basic
 *   with the token as password). Unknown or expired tokens answer 401 `Bad credentials`.
 * - Every installation gets checks:write, contents:read, deployments:write, pull_requests:read
 *   and metadata:read; tokens last an hour and may be narrowed by repositories or permissions.
 * - Repositories are private unless `addRepository(..., { private: false })`. A repository a
 *   token does not cover answers 404 on reads and 403 `Resource not accessible by integration`
 *   on writes, as GitHub does.
 * - With a git directory registered, refs resolve through git: a check run's `head_sha` must be
 *   a commit there (422 `No commit found for SHA: X`), a deployment's `ref` a branch, tag or
 *   commit (422 `No ref found for: X`). Without one, any 40-hex SHA is accepted.
 * - Like GitHub, creating a deployment checks the commit's contexts: with `required_contexts`
 *   not given, every check run on the commit must have completed green, else 409 `Conflict:
 *   Commit status checks failed for <ref>.` Pass `required_contexts: []` to skip that.
 * - A `success` deployment status marks prior succeeded non-transient, non-production
 *   deployments to the same environment `inactive` (`auto_inactive`, GitHub's default).
 * - Errors are GitHub's: `{ message, documentation_url }`, 422 with `errors: [{ resource,
 *   code, field }]`; REST answers carry `x-github-request-id` and `x-ratelimit-*` headers.
 * - Faults match the path without `/api/v3` (a string prefix or a RegExp) and take the first
 *   matching fault only; a 502 answers GitHub's HTML "Unicorn" page rather than JSON.
 * - Git is served at `${url}/<owner>/<name>.git` (upload-pack only; pushes get 403), any SHA may
 *   be fetched; private repositories want `Authorization: Basic base64(x-access-token:<token>)`.
 * - `renameRepository(from, to)` renames or transfers a repository: its records, installations
 *   and tokens follow it; its former name redirects (REST 301 for reads, 307 for writes, git
 *   301) until a repository takes that name again. GitHub's REST redirects name the repository
 *   by id (`/repositories/<id>/...`); these name it by its new name.
 * - Pull requests are opened, closed and reopened by the test (`openPullRequest`, ...), with no
 *   event delivered: a test sends the events it wants. `GET .../pulls/{n}` answers them with a
 *   weak ETag, and 304 (not counted against the rate limit) to an `If-None-Match` naming it.
 */
export type { Auth, AuthKind } from './authenticate.js';
export type { RecordedCheckRun } from './check-run-json.js';
export type { RecordedRequest } from './create-github-app.js';
export type { RecordedDeployment, RecordedDeploymentStatus } from './deployment-json.js';
export type { GitHubFault } from './fault-injector.js';
export type { HookDelivery } from './hook-deliveries.js';
export {
  type GitHubApiServer,
  type GitHubApiServerOptions,
  type PullRequestJson,
  startGitHubApiServer,
} from './start-github-api-server.js';
export type { Annotation } from './validate-check-run.js';
