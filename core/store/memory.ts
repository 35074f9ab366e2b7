import { SlipwayError } from '../errors.js';
import type { ApiToken, Job, JobLogLine, Workspace } from '../types.js';
import { compareBy, jobMatches, nextClaimable, sortFieldOf } from './shared.js';
import {
  JOB_SORT_FIELDS,
  type JobExpectation,
  type JobFilter,
  type JobPatch,
  type NewLogLine,
  type Page,
  type PageRequest,
  type Store,
  WORKSPACE_SORT_FIELDS,
} from './types.js';

interface State {
  workspaces: Map<string, Workspace>;
  jobs: Map<string, { job: Job; order: number }>;
  logs: Map<string, JobLogLine[]>;
  tokens: Map<string, ApiToken>;
  order: number;
}

/**
 * A Store that keeps everything in memory, with the same observable behaviour as the SQLite one
 * (the contract suite runs against both). For tests and the Action's direct mode. Objects are
 * copied in and out, so callers cannot change stored state by accident.
 */
export function createMemoryStore(): Store {
  let state: State = {
    workspaces: new Map(),
    jobs: new Map(),
    logs: new Map(),
    tokens: new Map(),
    order: 0,
  };
  let depth = 0;

  const jobs = () => [...state.jobs.values()];

  return {
    transaction<T>(fn: () => T): T {
      if (depth > 0) return fn();
      const snapshot = structuredClone(state);
      depth += 1;
      try {
        return fn();
      } catch (error) {
        state = snapshot;
        throw error;
      } finally {
        depth -= 1;
      }
    },
    close() {},

    insertWorkspace(workspace) {
      if ([...state.workspaces.values()].some((w) => w.name === workspace.name)) {
        throw new SlipwayError('CONFLICT', `workspace name '${workspace.name}' is already taken`);
      }
      if (state.workspaces.has(workspace.id)) {
        throw new SlipwayError('CONFLICT', `workspace '${workspace.id}' already exists`);
      }
      state.workspaces.set(workspace.id, structuredClone(workspace));
    },
    getWorkspace: (id) => copy(state.workspaces.get(id)),
    findWorkspaceByName: (name) =>
      copy([...state.workspaces.values()].find((w) => w.name === name)),
    listWorkspaces(page) {
      const field = sortFieldOf(page, WORKSPACE_SORT_FIELDS, 'name');
      const all = [...state.workspaces.values()].sort(
        compareBy<Workspace>(
          (w) => w[field as keyof Workspace] as string,
          page.sort?.direction ?? 'asc',
          (w) => w.id,
        ),
      );
      return slice(all, page);
    },
    updateWorkspace(workspace) {
      if (!state.workspaces.has(workspace.id)) return false;
      const clash = [...state.workspaces.values()].find(
        (w) => w.name === workspace.name && w.id !== workspace.id,
      );
      if (clash)
        throw new SlipwayError('CONFLICT', `workspace name '${workspace.name}' is already taken`);
      state.workspaces.set(workspace.id, structuredClone(workspace));
      return true;
    },
    deleteWorkspace(id) {
      if (!state.workspaces.delete(id)) return false;
      for (const entry of state.jobs.values()) {
        if (entry.job.workspaceId === id) entry.job.workspaceId = null;
      }
      return true;
    },

    insertJob(job) {
      if (job.deliveryId && jobs().some((e) => e.job.deliveryId === job.deliveryId)) {
        throw new SlipwayError('CONFLICT', `delivery '${job.deliveryId}' already has a job`);
      }
      if (state.jobs.has(job.id))
        throw new SlipwayError('CONFLICT', `job '${job.id}' already exists`);
      if (job.workspaceId && !state.workspaces.has(job.workspaceId)) {
        throw new SlipwayError('NOT_FOUND', `workspace '${job.workspaceId}' does not exist`);
      }
      state.order += 1;
      state.jobs.set(job.id, { job: structuredClone(job), order: state.order });
    },
    getJob: (id) => copy(state.jobs.get(id)?.job),
    findJobByDelivery: (deliveryId) =>
      copy(jobs().find((e) => e.job.deliveryId === deliveryId)?.job),
    listJobs(filter: JobFilter, page: PageRequest): Page<Job> {
      const field = sortFieldOf(page, JOB_SORT_FIELDS, 'created');
      const direction = page.sort?.direction ?? 'desc';
      const matching = jobs()
        .filter((e) => jobMatches(e.job, filter))
        .sort(
          compareBy(
            (e) => e.job[field as keyof Job] as string | null,
            direction,
            (e) => e.order,
          ),
        );
      const result = slice(matching, page);
      return { items: result.items.map((e) => structuredClone(e.job)), total: result.total };
    },
    updateJob(id: string, patch: JobPatch, expect?: JobExpectation) {
      const entry = state.jobs.get(id);
      if (!entry) return undefined;
      if (expect?.status && !expect.status.includes(entry.job.status)) return undefined;
      if (expect?.leaseOwner !== undefined && entry.job.leaseOwner !== expect.leaseOwner)
        return undefined;
      entry.job = { ...entry.job, ...structuredClone(patch) };
      return structuredClone(entry.job);
    },
    claimJob(owner, now, leaseExpires) {
      const candidate = nextClaimable(
        jobs()
          .sort((a, b) => compareText(a.job.created, b.job.created) || a.order - b.order)
          .map((e) => e.job),
        now,
      );
      if (!candidate) return undefined;
      const entry = state.jobs.get(candidate.id);
      if (!entry) return undefined;
      entry.job = {
        ...entry.job,
        status: 'RUNNING',
        leaseOwner: owner,
        leaseExpires,
        startTime: entry.job.startTime ?? new Date(now).toISOString(),
        updated: new Date(now).toISOString(),
      };
      return structuredClone(entry.job);
    },
    deleteJob(id) {
      state.logs.delete(id);
      return state.jobs.delete(id);
    },

    appendJobLogs(jobId: string, lines: NewLogLine[]): number {
      if (!state.jobs.has(jobId))
        throw new SlipwayError('NOT_FOUND', `job '${jobId}' does not exist`);
      const log = state.logs.get(jobId) ?? [];
      state.logs.set(jobId, log);
      for (const line of lines)
        log.push({ sequence: log.length, time: line.time, line: line.line });
      return log.length;
    },
    readJobLogs(jobId, fromSequence, limit) {
      const log = state.logs.get(jobId) ?? [];
      return log.slice(fromSequence, fromSequence + limit).map((l) => ({ ...l }));
    },

    insertApiToken(token) {
      const values = [...state.tokens.values()];
      if (values.some((t) => t.name === token.name)) {
        throw new SlipwayError('CONFLICT', `token name '${token.name}' is already taken`);
      }
      if (values.some((t) => t.hash === token.hash) || state.tokens.has(token.id)) {
        throw new SlipwayError('CONFLICT', 'this token already exists');
      }
      state.tokens.set(token.id, { ...token });
    },
    findApiTokenByHash: (hash) => copy([...state.tokens.values()].find((t) => t.hash === hash)),
    listApiTokens: () =>
      [...state.tokens.values()].sort((a, b) => compareText(a.name, b.name)).map((t) => ({ ...t })),
    touchApiToken(id, lastUsed) {
      const token = state.tokens.get(id);
      if (token) token.lastUsed = lastUsed;
    },
    deleteApiToken: (id) => state.tokens.delete(id),
  };
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}

function slice<T>(items: T[], page: PageRequest): Page<T> {
  return { items: items.slice(page.offset, page.offset + page.limit), total: items.length };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
