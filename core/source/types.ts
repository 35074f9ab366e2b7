/** A repository fetched at one commit into the checkout cache. Read-only for the engine. */
export interface Checkout {
  /** The repository as the caller named it. */
  repository: string;
  /** The URL or path git was given after resolution. */
  url: string;
  /** The ref that was asked for (branch, tag or commit). */
  ref: string;
  /** Full 40-hex commit id. */
  commit: string;
  /** Absolute path of the checkout's root. */
  dir: string;
}

export interface FetchOptions {
  /** Fetch this exact commit (e.g. a push's `after`) instead of the head of `ref`. */
  commit?: string;
  /**
   * `commit` must be one of the commits of `ref` (a branch): proven from the branch's own
   * history, even when the commit is in the cache, before it is fetched. NOT_FOUND otherwise.
   */
  onBranch?: boolean;
  signal?: AbortSignal;
}

/** Fetches repositories (the git CLI in production); injected into the engine as `deps.source`. */
export interface SourceFetcher {
  fetch(repository: string, ref: string, options?: FetchOptions): Promise<Checkout>;
  /** The commit `ref` (a branch, then a tag) names on the remote now, without fetching it. */
  head?(repository: string, ref: string, signal?: AbortSignal): Promise<string>;
  /**
   * Removes checkouts that are no longer used, except those under a directory of `inUse`
   * (workloads run from them), so the cache does not grow without end.
   */
  evict?(inUse: readonly string[]): Promise<void>;
}

/** A unit found in a checkout: the directory (relative, `/`-separated) and the file in it. */
export interface DiscoveredUnit {
  kind: 'task' | 'pipeline';
  /** Directory relative to the checkout root, `/`-separated; `.` for the root itself. */
  directory: string;
  /** File path relative to the checkout root (`<directory>/manifest.json`). */
  file: string;
  /** The file is a symlink: it must be resolved (and stay inside the checkout) to be read. */
  symlink?: true;
}
