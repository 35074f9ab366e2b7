export { digestDirectory } from './digest.js';
export { discoverUnits } from './discover.js';
export { createGitSource, type GitSourceOptions } from './git.js';
export { resolveUnitDirectory } from './paths.js';
export {
  ACCEPTED_FORMS,
  type ResolvedRepository,
  redact,
  resolveRepository,
} from './repository.js';
export type { Checkout, DiscoveredUnit, FetchOptions, SourceFetcher } from './types.js';
