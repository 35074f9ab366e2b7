import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Workload } from '../types.js';

/** What the local runtime remembers across restarts of Slipway. */
export interface PersistedState {
  version: 1;
  namespaces: string[];
  workloads: PersistedWorkload[];
}

export interface PersistedWorkload {
  workload: Workload;
  revision: number;
  created: string;
  /** Ports given to a service's replicas, reused after a restart. */
  ports: number[];
  /** A job's run: a finished one is not run again. */
  run: {
    startTime: string | null;
    completionTime: string | null;
    exitCode: number | null;
    message: string;
  } | null;
  /** Processes running when this was written, to kill if Slipway died before stopping them. */
  processes: { pid: number; marker: string }[];
}

const FILE = 'workloads.json';

/** Reads the state written last, or an empty one. */
export function readState(dir: string): PersistedState {
  try {
    const state = JSON.parse(readFileSync(path.join(dir, FILE), 'utf8')) as PersistedState;
    return state.version === 1 ? state : { version: 1, namespaces: [], workloads: [] };
  } catch {
    return { version: 1, namespaces: [], workloads: [] };
  }
}

/** Writes the state atomically: a crash leaves the old file or the new one, never half. */
export function writeState(dir: string, state: PersistedState): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, file);
}
