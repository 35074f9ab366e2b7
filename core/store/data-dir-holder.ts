import os from 'node:os';
import { SlipwayError } from '../errors.js';
import { isRunning, processStart } from '../process-alive.js';
import type { Store } from './types.js';

/** The Slipway process that last took a data directory: its host, pid and when it began. */
interface Holder {
  host: string;
  pid: number;
  began: string | null;
}

/**
 * Records this process as the one using the data directory, after refusing to when the one
 * recorded before still runs on this host. The lock file (`acquireDataDirLock`) keeps a second
 * Slipway out; but a lock file can be removed, taken for a stale one, and a second Slipway would
 * then take the directory over, killing and restarting the first one's workloads as leftovers.
 * The record in the database cannot be removed that way.
 */
export function claimDataDir(store: Store, dataDir: string): void {
  const me: Holder = { host: os.hostname(), pid: process.pid, began: processStart(process.pid) };
  store.transaction(() => {
    const holder = store.getRecord<Holder>('data-dir-holder', 'holder');
    if (
      holder &&
      holder.host === me.host &&
      holder.pid !== me.pid &&
      holder.began !== null &&
      isRunning(holder.pid) &&
      processStart(holder.pid) === holder.began
    ) {
      throw new SlipwayError(
        'CONFLICT',
        `data directory ${dataDir} is in use by another Slipway (process ${holder.pid}), although its lock file slipway.lock was removed; stop that process, or set SLIPWAY_DATA_DIR to another directory`,
      );
    }
    store.putRecord('data-dir-holder', 'holder', '', me);
  });
}
