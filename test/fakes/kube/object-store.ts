import { deepCopy, type StoredObject } from './kube-object.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as kept in the event history and sent to watchers (never mutated). */
export interface StoreEvent {
  type: WatchEventType;
  plural: string;
  resourceVersion: number;
  object: Readonly<StoredObject>;
  /** The object before a MODIFIED event (so selector watches can tell it left or entered). */
  previous?: Readonly<StoredObject>;
}

/** Events kept for watches that resume from a resourceVersion; older ones answer 410 Expired. */
const HISTORY_LIMIT = 1000;

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * The server's "etcd": objects per resource, one global resourceVersion counter, a bounded
 * history of changes that watches replay from, and an index of objects by owner uid (what the
 * garbage collector and the controllers ask for). Stored objects are never mutated: every write
 * stores a fresh copy, so `get`/`list` copies are the caller's and `scan`/`peek` are read-only.
 */
export class ObjectStore {
  private readonly byPlural = new Map<string, Map<string, StoredObject>>();
  /** plural -> owner uid -> keys of the objects it owns. */
  private readonly byOwner = new Map<string, Map<string, Set<string>>>();
  /** uid -> plural/key of every stored object, so owners can be looked up by uid. */
  private readonly uids = new Map<string, string>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision = 1;
  /** The resourceVersion of the newest event no longer in the history (0: none dropped). */
  private droppedThrough = 0;

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  get oldestResumable(): number {
    return this.droppedThrough;
  }

  get(plural: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const found = this.peek(plural, namespace, name);
    return found ? deepCopy(found as StoredObject) : undefined;
  }

  /** The stored object itself (read-only). */
  peek(
    plural: string,
    namespace: string | undefined,
    name: string,
  ): Readonly<StoredObject> | undefined {
    return this.table(plural).get(key(namespace, name));
  }

  list(plural: string, namespace?: string): StoredObject[] {
    return this.scan(plural, namespace)
      .map((o) => deepCopy(o as StoredObject))
      .sort(byNamespaceAndName);
  }

  /** The stored objects themselves, unsorted: for controllers, which must not mutate them. */
  scan(plural: string, namespace?: string): readonly Readonly<StoredObject>[] {
    const out: StoredObject[] = [];
    for (const object of this.table(plural).values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) out.push(object);
    }
    return out;
  }

  /** Whether an object with this uid is stored (of any resource). */
  hasUid(uid: string): boolean {
    return this.uids.has(uid);
  }

  /** Stored objects of `plural` with an ownerReference to `ownerUid` (read-only). */
  ownedBy(plural: string, ownerUid: string): readonly Readonly<StoredObject>[] {
    const keys = this.byOwner.get(plural)?.get(ownerUid) ?? new Set();
    const table = this.table(plural);
    return [...keys].flatMap((k) => table.get(k) ?? []);
  }

  /**
   * Stores a new object, stamping the next resourceVersion; answers a copy of what was stored.
   * The store keeps `object` itself (as `update` does): the caller must not touch it afterwards.
   */
  create(plural: string, object: StoredObject): StoredObject {
    return this.write('ADDED', plural, object);
  }

  update(plural: string, object: StoredObject): StoredObject {
    return this.write('MODIFIED', plural, object);
  }

  delete(plural: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const table = this.table(plural);
    const k = key(namespace, name);
    const found = table.get(k);
    if (!found) return undefined;
    table.delete(k);
    this.index(plural, k, found, undefined);
    if (found.metadata.uid) this.uids.delete(found.metadata.uid);
    this.revision += 1;
    // A deleted object travels with the resourceVersion of its deletion, as in a real watch.
    const gone = deepCopy(found);
    gone.metadata.resourceVersion = String(this.revision);
    this.record({ type: 'DELETED', plural, resourceVersion: this.revision, object: gone });
    return deepCopy(gone);
  }

  /** Events of `plural` after `resourceVersion`, oldest first. */
  eventsSince(plural: string, resourceVersion: number): StoreEvent[] {
    return this.history.filter((e) => e.plural === plural && e.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps `object` itself: the writer built it for this write and lets go of it. */
  private write(type: WatchEventType, plural: string, stored: StoredObject): StoredObject {
    this.revision += 1;
    stored.metadata.resourceVersion = String(this.revision);
    const table = this.table(plural);
    const k = key(stored.metadata.namespace, stored.metadata.name ?? '');
    const previous = table.get(k);
    table.set(k, stored);
    this.index(plural, k, previous, stored);
    if (stored.metadata.uid) this.uids.set(stored.metadata.uid, `${plural}/${k}`);
    const event: StoreEvent = { type, plural, resourceVersion: this.revision, object: stored };
    if (type === 'MODIFIED' && previous) event.previous = previous;
    this.record(event);
    return deepCopy(stored);
  }

  private index(
    plural: string,
    k: string,
    before: StoredObject | undefined,
    after: StoredObject | undefined,
  ): void {
    let owners = this.byOwner.get(plural);
    if (!owners) {
      owners = new Map();
      this.byOwner.set(plural, owners);
    }
    for (const ref of before?.metadata.ownerReferences ?? []) owners.get(ref.uid)?.delete(k);
    for (const ref of after?.metadata.ownerReferences ?? []) {
      const keys = owners.get(ref.uid) ?? new Set<string>();
      keys.add(k);
      owners.set(ref.uid, keys);
    }
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.shift();
      if (dropped) this.droppedThrough = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  private table(plural: string): Map<string, StoredObject> {
    let table = this.byPlural.get(plural);
    if (!table) {
      table = new Map();
      this.byPlural.set(plural, table);
    }
    return table;
  }
}

function byNamespaceAndName(a: StoredObject, b: StoredObject): number {
  const an = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const bn = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}
