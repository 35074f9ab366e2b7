/**
 * An instant in the list of all jobs, oldest first: `start` jobs were created before `created`.
 * Seeking the newest-first index to `created` and skipping `position - start` entries reaches
 * the job at `position`.
 */
export interface Anchor {
  created: string;
  start: number;
}

/** The index reads that anchors are built from, each a seek and a short skip or count. */
export interface AnchorSource {
  /** The oldest job's `created`. */
  firstCreated(): string | undefined;
  /** `created` of the job `skip` places after the first one created at or after `from`. */
  createdAt(from: string, skip: number): string | undefined;
  /** The first `created` later than `from`. */
  createdAfter(from: string): string | undefined;
  /** How many jobs were created at or after `from` and before `to`. */
  countBetween(from: string, to: string): number;
  /** Changes whenever another connection commits (SQLite's data_version). */
  version(): number;
}

/**
 * Where the deep pages of the list of all jobs start. OFFSET steps over each entry it skips, 9 ns
 * apiece, so page 2,500 of 5,000 (at 100,000 jobs) spent 0.45 ms skipping; from the anchor
 * nearest below it a page skips at most about `spacing` entries.
 *
 * Anchors count jobs from the oldest one, so a new job, created after every anchor, moves none of
 * them; a job added before some of them, or deleted, moves those after it by one. They are built
 * as far as a deep page needs (about 10 ms for 100,000 jobs), and dropped only when a transaction
 * that moved them is rolled back, or when another connection has written.
 *
 * @example
 * const anchors = new PageAnchors(source);
 * const anchor = anchors.seek(50_000, true); // then skip 50_000 - anchor.start from anchor.created
 */
export class PageAnchors {
  private anchors: Anchor[] = [];
  /** Moved by a write whose transaction has not ended yet. */
  private unsettled = false;
  /** The source's version the anchors were counted at. */
  private version: number | undefined;

  constructor(
    private readonly source: AnchorSource,
    readonly spacing = 1000,
  ) {}

  /**
   * The anchor nearest below ascending `position` (its start at most `position`), having built
   * anchors up to it when `extend` is true; undefined when there are no jobs or no anchors.
   */
  seek(position: number, extend: boolean): Anchor | undefined {
    // Another connection's writes (a second store, a sqlite3 shell) move anchors unseen.
    const version = this.source.version();
    if (version !== this.version) {
      this.anchors = [];
      this.version = version;
    }
    if (extend) this.extendTo(position);
    let low = 0;
    let high = this.anchors.length - 1;
    let found: Anchor | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const anchor = this.anchors[middle] as Anchor;
      if (anchor.start <= position) {
        found = anchor;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** A job created at `created` was added; `inTransaction`: by a write not yet committed. */
  added(created: string, inTransaction: boolean): void {
    this.shift(created, 1, inTransaction);
  }

  /** A job created at `created` was deleted; `inTransaction` as for `added`. */
  removed(created: string, inTransaction: boolean): void {
    this.shift(created, -1, inTransaction);
  }

  /** The transaction around the writes ended: committed, or rolled back (`kept` false). */
  settled(kept: boolean): void {
    if (!kept && this.unsettled) this.anchors = [];
    this.unsettled = false;
  }

  /** Moves the anchors after `created`: each counts the jobs created before its instant. */
  private shift(created: string, by: number, inTransaction: boolean): void {
    const newest = this.anchors.at(-1);
    if (!newest || created >= newest.created) return;
    for (const anchor of this.anchors) if (anchor.created > created) anchor.start += by;
    // A rollback takes the write back, and the anchors cannot follow: it drops them.
    if (inTransaction) this.unsettled = true;
  }

  private extendTo(position: number): void {
    let last = this.anchors.at(-1);
    if (!last) {
      const first = this.source.firstCreated();
      if (first === undefined) return;
      last = { created: first, start: 0 };
      this.anchors.push(last);
    }
    while (position - last.start >= this.spacing) {
      let next = this.source.createdAt(last.created, this.spacing);
      // More than `spacing` jobs created in the same millisecond: the next instant after them.
      if (next === last.created) next = this.source.createdAfter(last.created);
      if (next === undefined) return;
      const passed = this.source.countBetween(last.created, next);
      if (passed <= 0) return; // the index changed under the anchors: never loop on it
      last = { created: next, start: last.start + passed };
      this.anchors.push(last);
    }
  }
}
