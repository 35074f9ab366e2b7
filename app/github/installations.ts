import type { Store } from '../../core/store/types.js';
import { type Clock, isoTime } from '../../core/types.js';

/** An installation of the App as its events describe it. */
export interface Installation {
  id: number;
  account: string;
  /** `owner/name`, lowercase. */
  repositories: string[];
  suspended: boolean;
  updated: string;
}

const COLLECTION = 'github-installations';
const RENAMES = 'github-renames';

/** What a former name of a repository is now: `to`, for the repository of `repositoryId`. */
interface Rename {
  to: string;
  repositoryId: number | null;
}

/**
 * The App's installations, kept from `installation` and `installation_repositories` events (and
 * from the `installation` field of any event), so an `owner/name` repository can be fetched with
 * the right installation's token.
 */
export class Installations {
  /**
   * Whether any repository was renamed, read once: every push asks, and most installations
   * never see a rename. Only this process writes them (one Slipway per data directory); true
   * after a rename even if its transaction rolls back, which costs a lookup, never a wrong name.
   */
  private anyRenames: boolean | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Records an installation; `repositories` replaces the known list when given. */
  save(id: number, account: string, repositories?: string[]): Installation {
    const current = this.get(id);
    const installation: Installation = {
      id,
      account,
      repositories: normalize(repositories ?? current?.repositories ?? []),
      suspended: current?.suspended ?? false,
      updated: isoTime(this.clock.now()),
    };
    this.put(installation);
    if (repositories) this.release(id, installation.repositories);
    return installation;
  }

  /** Adds and removes repositories of an installation. */
  change(id: number, account: string, added: string[], removed: string[]): Installation {
    const current = this.get(id) ?? this.save(id, account, []);
    const gone = new Set(normalize(removed));
    const repositories = normalize([...current.repositories, ...added]).filter((r) => !gone.has(r));
    const installation = { ...current, repositories, updated: isoTime(this.clock.now()) };
    this.put(installation);
    this.release(id, normalize(added));
    return installation;
  }

  /** Notes that an event of `repository` came through installation `id`. */
  seen(id: number, account: string, repository: string): void {
    const current = this.get(id);
    const name = repository.toLowerCase();
    if (current?.repositories.includes(name)) return;
    this.change(id, account, [name], []);
  }

  /**
   * `from` (`owner/name`) was renamed or transferred to `to`: every record of it names `to`, and
   * an event GitHub sends late under the former name (a push made just before) finds it by
   * {@link currentName}.
   */
  renamed(from: string, to: string, repositoryId: number | null): void {
    const [before, after] = [from.toLowerCase(), to.toLowerCase()];
    const rename: Rename = { to: after, repositoryId };
    this.store.putRecord(RENAMES, before, '', rename);
    // Renamed back: that name is the repository's own again, not a former one.
    this.store.deleteRecord(RENAMES, after);
    this.anyRenames = true;
    for (const installation of this.store.listRecords<Installation>(COLLECTION)) {
      if (!installation.repositories.includes(before)) continue;
      const repositories = normalize(
        installation.repositories.map((name) => (name === before ? after : name)),
      );
      this.put({ ...installation, repositories, updated: isoTime(this.clock.now()) });
    }
  }

  /**
   * The name `repository` goes by now: its own, as the event gives it, unless that is a former
   * name of the same repository (by id: another repository may have taken the name up since),
   * and then the name it was renamed to (lowercase).
   */
  currentName(repository: { full_name: string; id?: number }): string {
    if (repository.id === undefined) return repository.full_name;
    this.anyRenames ??= this.store.listRecords(RENAMES).length > 0;
    if (!this.anyRenames) return repository.full_name;
    let name = repository.full_name.toLowerCase();
    let renamed = false;
    // A few renames in a row at most; the bound only guards against a loop in the records.
    for (let hop = 0; hop < 10; hop++) {
      const rename = this.store.getRecord<Rename>(RENAMES, name);
      if (!rename || rename.repositoryId !== repository.id) break;
      name = rename.to;
      renamed = true;
    }
    return renamed ? name : repository.full_name;
  }

  setSuspended(id: number, suspended: boolean): void {
    const current = this.get(id);
    if (current) this.put({ ...current, suspended, updated: isoTime(this.clock.now()) });
  }

  remove(id: number): void {
    this.store.deleteRecord(COLLECTION, String(id));
  }

  get(id: number): Installation | undefined {
    return this.store.getRecord<Installation>(COLLECTION, String(id));
  }

  /** The active installation that covers `owner/name`, if an event told us of one. */
  find(repository: string): Installation | undefined {
    const name = repository.toLowerCase();
    return this.store
      .listRecords<Installation>(COLLECTION)
      .find((i) => !i.suspended && i.repositories.includes(name));
  }

  /**
   * A repository is in one installation of an App at a time: `id` now has `repositories`, so any
   * other record of them is stale (its `deleted` or `removed` event never reached us).
   */
  private release(id: number, repositories: string[]): void {
    if (repositories.length === 0) return;
    const taken = new Set(repositories);
    for (const other of this.store.listRecords<Installation>(COLLECTION)) {
      if (other.id === id || !other.repositories.some((r) => taken.has(r))) continue;
      const kept = other.repositories.filter((r) => !taken.has(r));
      this.put({ ...other, repositories: kept, updated: isoTime(this.clock.now()) });
    }
  }

  private put(installation: Installation): void {
    this.store.putRecord(COLLECTION, String(installation.id), installation.account, installation);
  }
}

function normalize(names: string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))].sort();
}
