import { SlipwayError } from '../errors.js';
import type { ApiToken, Job, JobLogLine, Workspace } from '../types.js';
import { sortOf } from './sort.js';
import {
  JOB_SORT_FIELDS,
  type JobCount,
  type JobExpectation,
  type JobFilter,
  type JobPatch,
  type NewLogLine,
  type OutboxEntry,
  type Page,
  type PageRequest,
  type Store,
  WORKSPACE_SORT_FIELDS,
} from './types.js';

/** A stored job and its insertion number, which breaks ties as SQLite's rowid does. */
interface Row {
  job: Job;
  row: number;
}

interface State {
  workspaces: Map<string, Workspace>;
  jobs: Map<string, Row>;
  logs: Map<string, JobLogLine[]>;
  tokens: Map<string, ApiToken>;
  /** collection -> key -> record, values kept as JSON text (as SQLite keeps them). */
  records: Map<string, Map<string, { namespace: string; value: string }>>;
  /** sequence -> name -> id */
  ids: Map<string, Map<string, number>>;
  outbox: OutboxEntry[];
  lastRow: number;
}

type Sortable = string | number | null;

/**
 * A Store that keeps everything in memory, with the observable behaviour of the SQLite one (the
 * contract suite runs against both): the same conflicts, claim order, default order, ON DELETE
 * effects and log sequences. Objects are copied in and out, so callers cannot change stored state
 * by accident; a throw inside `transaction` restores the state from when it began.
 */
export function createMemoryStore(): Store {
  let state: State = {
    workspaces: new Map(),
    jobs: new Map(),
    logs: new Map(),
    tokens: new Map(),
    records: new Map(),
    ids: new Map(),
    outbox: [],
    lastRow: 0,
  };
  let depth = 0;
  let closed = false;

  /** The state, or a throw once closed (as SQLite throws on a closed connection). */
  const live = (): State => {
    if (closed) throw new SlipwayError('INTERNAL', 'the store is closed');
    return state;
  };
  const jobRows = () => [...live().jobs.values()];

  return {
    transaction<T>(fn: () => T): T {
      if (depth > 0) return fn();
      const snapshot = structuredClone(live());
      depth += 1;
      try {
        const result = fn();
        // better-sqlite3 refuses the same way: the transaction would commit before the work ends.
        if (typeof (result as { then?: unknown } | null)?.then === 'function') {
          throw new TypeError('Transaction function cannot return a promise');
        }
        return result;
      } catch (error) {
        state = snapshot;
        throw error;
      } finally {
        depth -= 1;
      }
    },
    close() {
      closed = true;
    },

    insertWorkspace(workspace) {
      const { workspaces } = live();
      if (findBy(workspaces, (w) => w.name === workspace.name)) {
        throw new SlipwayError('CONFLICT', `workspace name '${workspace.name}' is already taken`);
      }
      if (workspaces.has(workspace.id)) {
        throw new SlipwayError('CONFLICT', `workspace '${workspace.id}' already exists`);
      }
      workspaces.set(workspace.id, copyWorkspace(workspace));
    },
    getWorkspace: (id) => maybe(live().workspaces.get(id), copyWorkspace),
    findWorkspaceByName: (name) =>
      maybe(
        findBy(live().workspaces, (w) => w.name === name),
        copyWorkspace,
      ),
    findWorkspacesMentioning(text) {
      const needle = text.toLowerCase();
      return [...live().workspaces.values()]
        .filter((w) => w.repositoryUrl.toLowerCase().includes(needle))
        .sort(
          compareBy(
            (w) => w.name,
            (w) => w.id,
            'asc',
          ),
        )
        .map(copyWorkspace);
    },
    listWorkspaces(page) {
      const sort = sortOf(page, 'workspaces', WORKSPACE_SORT_FIELDS) ?? {
        field: 'name',
        direction: 'asc',
      };
      const sorted = [...live().workspaces.values()].sort(
        compareBy(
          (w) => w[sort.field],
          (w) => w.id,
          sort.direction,
        ),
      );
      return slice(sorted, page, copyWorkspace);
    },
    updateWorkspace(workspace) {
      const { workspaces } = live();
      if (!workspaces.has(workspace.id)) return false;
      if (findBy(workspaces, (w) => w.name === workspace.name && w.id !== workspace.id)) {
        throw new SlipwayError('CONFLICT', `workspace name '${workspace.name}' is already taken`);
      }
      workspaces.set(workspace.id, copyWorkspace(workspace));
      return true;
    },
    deleteWorkspace(id) {
      const current = live();
      if (!current.workspaces.delete(id)) return false;
      // ON DELETE SET NULL
      for (const { job } of current.jobs.values()) {
        if (job.workspaceId === id) job.workspaceId = null;
      }
      return true;
    },

    insertJob(job) {
      const current = live();
      if (job.deliveryId !== null && jobRows().some((r) => r.job.deliveryId === job.deliveryId)) {
        throw new SlipwayError(
          'CONFLICT',
          `delivery id '${job.deliveryId}' is already taken by another job`,
        );
      }
      if (current.jobs.has(job.id)) {
        throw new SlipwayError('CONFLICT', `job '${job.id}' already exists`);
      }
      if (job.workspaceId !== null && !current.workspaces.has(job.workspaceId)) {
        throw new SlipwayError('NOT_FOUND', `workspace '${job.workspaceId}' does not exist`);
      }
      current.lastRow += 1;
      current.jobs.set(job.id, { job: copyJob(job), row: current.lastRow });
    },
    getJob: (id) => maybe(live().jobs.get(id)?.job, copyJob),
    findJobByDelivery: (deliveryId) =>
      maybe(jobRows().find((r) => r.job.deliveryId === deliveryId)?.job, copyJob),
    listJobs(filter: JobFilter, page: PageRequest): Page<Job> {
      const sort = sortOf(page, 'jobs', JOB_SORT_FIELDS) ?? { field: 'created', direction: 'desc' };
      const sorted = jobRows()
        .filter((r) => matches(r.job, filter))
        .sort(
          compareBy(
            (r) => r.job[sort.field],
            (r) => r.row,
            sort.direction,
          ),
        );
      return slice(sorted, page, (r) => copyJob(r.job));
    },
    countJobs() {
      const counts = new Map<string, JobCount>();
      for (const { job } of jobRows()) {
        const key = `${job.type} ${job.status}`;
        const count = counts.get(key) ?? { type: job.type, status: job.status, count: 0 };
        count.count += 1;
        counts.set(key, count);
      }
      // In SQLite's order: by type, then status.
      return [...counts.values()].sort(
        compareBy(
          (c) => c.type,
          (c) => c.status,
          'asc',
        ),
      );
    },
    updateJob(id: string, patch: JobPatch, expect?: JobExpectation) {
      const current = live();
      const row = current.jobs.get(id);
      if (!row) return undefined;
      if (expect?.status && !expect.status.includes(row.job.status)) return undefined;
      if (expect?.leaseOwner !== undefined && row.job.leaseOwner !== expect.leaseOwner) {
        return undefined;
      }
      const changed: Job = { ...row.job };
      for (const key of PATCHABLE_JOB_FIELDS) {
        if (patch[key] !== undefined) Object.assign(changed, { [key]: patch[key] });
      }
      const { deliveryId, workspaceId } = changed;
      if (
        deliveryId !== null &&
        jobRows().some((r) => r !== row && r.job.deliveryId === deliveryId)
      ) {
        throw new SlipwayError(
          'CONFLICT',
          `delivery id '${deliveryId}' is already taken by another job`,
        );
      }
      if (workspaceId !== null && !current.workspaces.has(workspaceId)) {
        throw new SlipwayError('NOT_FOUND', `workspace '${workspaceId}' does not exist`);
      }
      row.job = copyJob(changed);
      return copyJob(row.job);
    },
    claimJob(owner, now, leaseExpires) {
      const rows = jobRows();
      const busy = new Set(rows.filter((r) => r.job.status === 'RUNNING').map((r) => r.job.target));
      const next = rows
        .filter(
          (r) => r.job.status === 'QUEUED' && r.job.runAfter <= now && !busy.has(r.job.target),
        )
        .sort(
          compareBy(
            (r) => r.job.created,
            (r) => r.row,
            'asc',
          ),
        )[0];
      if (!next) return undefined;
      const nowIso = new Date(now).toISOString();
      next.job = {
        ...next.job,
        status: 'RUNNING',
        leaseOwner: owner,
        leaseExpires,
        startTime: next.job.startTime ?? nowIso,
        updated: nowIso,
      };
      return copyJob(next.job);
    },
    deleteJob(id) {
      const current = live();
      if (!current.jobs.delete(id)) return false;
      // ON DELETE CASCADE
      current.logs.delete(id);
      return true;
    },

    appendJobLogs(jobId: string, lines: NewLogLine[]): number {
      const current = live();
      if (!current.jobs.has(jobId)) {
        throw new SlipwayError('NOT_FOUND', `job '${jobId}' does not exist`);
      }
      const log = current.logs.get(jobId) ?? [];
      let sequence = (log.at(-1)?.sequence ?? -1) + 1;
      for (const { time, line } of lines) log.push({ sequence: sequence++, time, line });
      current.logs.set(jobId, log);
      return sequence;
    },
    readJobLogs(jobId, fromSequence, limit) {
      return (live().logs.get(jobId) ?? [])
        .filter((l) => l.sequence >= fromSequence)
        .slice(0, Math.max(0, limit))
        .map((l) => ({ sequence: l.sequence, time: l.time, line: l.line }));
    },
    readJobLogTail(jobId, limit) {
      const log = live().logs.get(jobId) ?? [];
      return log
        .slice(Math.max(0, log.length - Math.max(0, limit)))
        .map((l) => ({ sequence: l.sequence, time: l.time, line: l.line }));
    },

    insertApiToken(token) {
      const { tokens } = live();
      if (findBy(tokens, (t) => t.name === token.name)) {
        throw new SlipwayError('CONFLICT', `API token name '${token.name}' is already taken`);
      }
      if (findBy(tokens, (t) => t.hash === token.hash)) {
        throw new SlipwayError('CONFLICT', 'an API token with the same hash already exists');
      }
      if (tokens.has(token.id)) {
        throw new SlipwayError('CONFLICT', `API token '${token.id}' already exists`);
      }
      tokens.set(token.id, copyToken(token));
    },
    findApiTokenByHash: (hash) =>
      maybe(
        findBy(live().tokens, (t) => t.hash === hash),
        copyToken,
      ),
    listApiTokens: () =>
      [...live().tokens.values()]
        .sort(
          compareBy(
            (t) => t.name,
            (t) => t.id,
            'asc',
          ),
        )
        .map(copyToken),
    touchApiToken(id, lastUsed) {
      const token = live().tokens.get(id);
      if (token) token.lastUsed = lastUsed;
    },
    deleteApiToken: (id) => live().tokens.delete(id),

    putRecord(collection, key, namespace, value) {
      const records = live().records;
      const table = records.get(collection) ?? new Map();
      records.set(collection, table);
      table.set(key, { namespace, value: JSON.stringify(value) });
    },
    getRecord<T>(collection: string, key: string): T | undefined {
      const record = live().records.get(collection)?.get(key);
      return record ? (JSON.parse(record.value) as T) : undefined;
    },
    listRecords<T>(collection: string, namespace?: string): T[] {
      const table =
        live().records.get(collection) ?? new Map<string, { namespace: string; value: string }>();
      return [...table.entries()]
        .filter(([, record]) => namespace === undefined || record.namespace === namespace)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, record]) => JSON.parse(record.value) as T);
    },
    deleteRecord: (collection, key) => live().records.get(collection)?.delete(key) ?? false,
    addOutbox(entry) {
      const outbox = live().outbox;
      const id = (outbox.at(-1)?.id ?? 0) + 1;
      outbox.push({
        id,
        topic: entry.topic,
        key: entry.key,
        payload: JSON.parse(JSON.stringify(entry.payload)),
        created: entry.created,
        state: 'pending',
        attempts: 0,
        nextAttempt: entry.nextAttempt,
        lastError: null,
        done: null,
      });
      return id;
    },
    dueOutbox: (now, limit, topics) =>
      live()
        .outbox.filter(
          (e) =>
            e.state === 'pending' &&
            e.nextAttempt <= now &&
            (topics === undefined || topics.includes(e.topic)),
        )
        .slice(0, limit)
        .map(copyOutbox),
    outboxOf: (topic, key) =>
      live()
        .outbox.filter((e) => e.topic === topic && e.key === key)
        .map(copyOutbox),
    finishOutbox(id, state, done, error) {
      const entry = live().outbox.find((e) => e.id === id && e.state === 'pending');
      if (!entry) return false;
      Object.assign(entry, { state, done, lastError: error ?? entry.lastError });
      return true;
    },
    deferOutbox(id, nextAttempt, error) {
      const entry = live().outbox.find((e) => e.id === id && e.state === 'pending');
      if (!entry) return false;
      Object.assign(entry, { nextAttempt, lastError: error, attempts: entry.attempts + 1 });
      return true;
    },
    stableId(sequence, name) {
      const ids = live().ids;
      const names = ids.get(sequence) ?? new Map<string, number>();
      ids.set(sequence, names);
      const found = names.get(name);
      if (found !== undefined) return found;
      const id = Math.max(0, ...names.values()) + 1;
      names.set(name, id);
      return id;
    },
  };
}

/** Fields `updateJob` may change (the port's JobPatch); other keys of a patch are ignored. */
const PATCHABLE_JOB_FIELDS = [
  'status',
  'attempt',
  'maxAttempts',
  'startTime',
  'endTime',
  'exitCode',
  'commitId',
  'message',
  'target',
  'workspaceId',
  'params',
  'result',
  'progress',
  'deliveryId',
  'identity',
  'runAfter',
  'leaseOwner',
  'leaseExpires',
  'updated',
] as const satisfies readonly (keyof JobPatch)[];

/**
 * `ORDER BY key dir, tie dir` as SQLite evaluates it: NULL sorts before any value, strings
 * compare by code unit (SQLite's BINARY collation for the ASCII values stored here).
 */
function compareBy<T>(
  key: (item: T) => Sortable,
  tie: (item: T) => Sortable,
  direction: 'asc' | 'desc',
): (a: T, b: T) => number {
  const sign = direction === 'asc' ? 1 : -1;
  return (a, b) => sign * (compareValues(key(a), key(b)) || compareValues(tie(a), tie(b)));
}

function compareValues(a: Sortable, b: Sortable): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function matches(job: Job, filter: JobFilter): boolean {
  return (
    (filter.workspaceId === undefined || job.workspaceId === filter.workspaceId) &&
    (filter.status === undefined || filter.status.includes(job.status)) &&
    (filter.type === undefined || job.type === filter.type) &&
    (filter.target === undefined || job.target === filter.target) &&
    (filter.leaseExpiredBefore === undefined ||
      (job.status === 'RUNNING' &&
        job.leaseExpires !== null &&
        job.leaseExpires < filter.leaseExpiredBefore))
  );
}

function slice<T, U>(items: T[], page: PageRequest, copy: (item: T) => U): Page<U> {
  const offset = Math.max(0, page.offset);
  const limit = Math.max(0, page.limit);
  return { items: items.slice(offset, offset + limit).map(copy), total: items.length };
}

function findBy<T>(map: Map<string, T>, predicate: (value: T) => boolean): T | undefined {
  for (const value of map.values()) if (predicate(value)) return value;
  return undefined;
}

function maybe<T>(value: T | undefined, copy: (value: T) => T): T | undefined {
  return value === undefined ? undefined : copy(value);
}

// Copies keep exactly the port's fields, as a table row does; the JSON fields go through JSON as
// they do in SQLite, so a Date comes back as a string and an undefined property disappears.

function copyWorkspace(w: Workspace): Workspace {
  return {
    id: w.id,
    name: w.name,
    alias: w.alias,
    repositoryUrl: w.repositoryUrl,
    branch: w.branch,
    namespace: w.namespace,
    status: w.status,
    deploymentSecret: w.deploymentSecret,
    owner: w.owner,
    timeoutSeconds: w.timeoutSeconds,
    created: w.created,
    lastModified: w.lastModified,
    lastJobId: w.lastJobId,
    lastCommitId: w.lastCommitId,
    lastDeployed: w.lastDeployed,
  };
}

function copyJob(j: Job): Job {
  return {
    id: j.id,
    created: j.created,
    type: j.type,
    status: j.status,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    startTime: j.startTime,
    endTime: j.endTime,
    exitCode: j.exitCode,
    commitId: j.commitId,
    message: j.message,
    target: j.target,
    workspaceId: j.workspaceId,
    params: JSON.parse(JSON.stringify(j.params)),
    result: j.result === null ? null : JSON.parse(JSON.stringify(j.result)),
    progress: j.progress === null ? null : JSON.parse(JSON.stringify(j.progress)),
    deliveryId: j.deliveryId,
    identity: j.identity,
    runAfter: j.runAfter,
    leaseOwner: j.leaseOwner,
    leaseExpires: j.leaseExpires,
    updated: j.updated,
  };
}

function copyToken(t: ApiToken): ApiToken {
  return { id: t.id, name: t.name, hash: t.hash, created: t.created, lastUsed: t.lastUsed };
}

function copyOutbox(entry: OutboxEntry): OutboxEntry {
  return { ...entry, payload: JSON.parse(JSON.stringify(entry.payload)) };
}
