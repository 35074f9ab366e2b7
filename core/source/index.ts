/** Sources (DESIGN.md section 6): fetch a repository at a ref into the cache, find its units. */
export { digestDirectory, digestUnit } from './digest.js';
export { discoverUnits } from './discover.js';
export {
  createGitSource,
  type GitHubAccess,
  type GitSourceOptions,
  isCommitId,
} from './git.js';
export { resolveUnitDirectory, resolveUnitFile } from './paths.js';
export {
  ACCEPTED_FORMS,
  isGitHubName,
  isRepositoryName,
  type ResolvedRepository,
  redact,
  requireLocalRepository,
  resolveRepository,
} from './repository.js';
export type { Checkout, DiscoveredUnit, FetchOptions, SourceFetcher } from './types.js';
