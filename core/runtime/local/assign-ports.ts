import { LABELS, type Workload } from '../types.js';
import { findFreePort, portIsFree } from './find-free-port.js';

/**
 * The PORT of each replica of a service: replica 0 gets the workload's `port` when it has one
 * and neither another local workload nor another program holds it;
 * every other replica keeps its previous port when that is still free (a changed or restored
 * service keeps its address), else gets the first free port from `basePort` up. Ports in `taken`
 * belong to other local workloads and are never given out twice.
 *
 * A release of a nullplatform scope (labelled with it) never takes its `port`, the scope's:
 * the scope's weighted proxy listens there, so that the scope's port gets the traffic split,
 * not whichever release happened to start first.
 */
export async function assignPorts(
  workload: Workload,
  previous: readonly number[],
  taken: ReadonlySet<number>,
  basePort: number,
): Promise<number[]> {
  if (workload.kind !== 'service') return [];
  const used = new Set(taken);
  const behindProxy = workload.labels[LABELS.scope] !== undefined;
  if (behindProxy && workload.port !== null) used.add(workload.port);
  const ports: number[] = [];
  for (let i = 0; i < workload.replicas; i++) {
    const before = previous[i];
    let port: number;
    // A container port is per pod on Kubernetes; on one machine two services cannot share it
    // (the blue and green versions of a scope both say 8080), so a taken one gives way.
    // Another program (or another Slipway) may hold it too; the replica's own earlier process
    // holding it is fine, it is replaced.
    const wish = i === 0 && !behindProxy ? workload.port : null;
    if (wish !== null && !used.has(wish) && (before === wish || (await portIsFree(wish))))
      port = wish;
    else if (before !== undefined && !used.has(before) && (await portIsFree(before))) port = before;
    else port = await findFreePort(basePort, used);
    ports.push(port);
    used.add(port);
  }
  return ports;
}
