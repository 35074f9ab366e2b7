import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import type { TrafficWeight, Workload } from '../types.js';
import { type ManagedWorkload, newManaged, type RunRecord } from './managed-workload.js';

/** What the local runtime remembers across restarts of Slipway. */
export interface PersistedState {
  version: 1;
  namespaces: string[];
  workloads: PersistedWorkload[];
  /** Scope proxies (blue-green traffic), restored on the same ports. */
  traffic?: PersistedTraffic[];
}

export interface PersistedTraffic {
  namespace: string;
  name: string;
  port: number;
  weights: TrafficWeight[];
}

export interface PersistedWorkload {
  workload: Workload;
  hash: string;
  revision: number;
  created: string;
  /** Ports of a service's replicas, reused after a restart. */
  ports: number[];
  /** A job's run (a finished one is not run again), or a cron job's latest run. */
  run: RunRecord | null;
  /** Processes running when this was written: leftovers to kill if Slipway died meanwhile. */
  processes: { pid: number; marker: string }[];
}

export const STATE_FILE = 'local-runtime.json';

function emptyState(): PersistedState {
  return { version: 1, namespaces: [], workloads: [] };
}

/** Reads the state written last; an empty one when there is none yet. */
export function readState(dir: string): PersistedState {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new SlipwayError('RUNTIME_ERROR', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let state: PersistedState;
  try {
    state = JSON.parse(text) as PersistedState;
  } catch (error) {
    throw new SlipwayError(
      'RUNTIME_ERROR',
      `${file} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
        hint: `move ${file} away to start with no local workloads (processes it lists keep running)`,
      },
    );
  }
  if (state?.version !== 1 || !Array.isArray(state.workloads)) {
    throw new SlipwayError(
      'RUNTIME_ERROR',
      `${file} has version ${JSON.stringify(state?.version)}; expected 1`,
      { hint: 'it was written by another version of Slipway' },
    );
  }
  return state;
}

/** Writes the state atomically (temp file + rename): a crash leaves the old file or the new one. */
export function writeState(dir: string, state: PersistedState): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(temp, file);
}

/** What is written for a workload: its desired state, its run, and its processes' pids. */
export function toPersisted(managed: ManagedWorkload): PersistedWorkload {
  return {
    workload: managed.workload,
    hash: managed.hash,
    revision: managed.revision,
    created: managed.created,
    ports: managed.ports,
    run: managed.run,
    processes: managed.instances.flatMap(({ process: started }) =>
      started?.pid && !started.ended ? [{ pid: started.pid, marker: started.marker }] : [],
    ),
  };
}

/** Rebuilds a workload from the state file, before anything of it runs again. */
export function fromPersisted(saved: PersistedWorkload, logBufferLines: number): ManagedWorkload {
  const { workload, hash, revision, created, run } = saved;
  const managed = newManaged({ workload, hash, revision, created }, logBufferLines);
  managed.run =
    workload.kind === 'cronjob' && run && !run.completionTime
      ? { ...run, message: 'interrupted: Slipway stopped during the run' }
      : run;
  return managed;
}
