import { LABELS, type WorkloadInfo } from '../runtime/types.js';
import type { Store } from '../store/types.js';

/** Who deployed a workload Slipway manages, read from its labels. */
export type WorkloadOwner =
  | { kind: 'workspace'; id: string; text: string }
  | { kind: 'pipeline'; name: string; text: string }
  | { kind: 'deployment'; id: string; text: string }
  | { kind: 'task'; text: string };

/**
 * The owner of `info` (a workspace, a pipeline run, a nullplatform deployment, or else a task
 * deployed over the DataTask API), `text` naming it for a message; undefined for a workload of a
 * workspace since deleted: a leftover anyone may take over.
 *
 * @example
 * ownerOf(store, info) // { kind: 'pipeline', name: 'nightly', text: "pipeline run 'nightly'" }
 */
export function ownerOf(store: Store, info: WorkloadInfo): WorkloadOwner | undefined {
  const workspaceId = info.labels[LABELS.workspace];
  if (workspaceId) {
    const workspace = store.getWorkspace(workspaceId);
    if (!workspace) return undefined;
    return {
      kind: 'workspace',
      id: workspaceId,
      text: `workspace '${workspace.name}' (${workspace.id})`,
    };
  }
  const pipeline = info.labels[LABELS.pipeline];
  if (pipeline) return { kind: 'pipeline', name: pipeline, text: `pipeline run '${pipeline}'` };
  const deployment = info.labels[LABELS.deployment];
  if (deployment) {
    return { kind: 'deployment', id: deployment, text: `nullplatform deployment ${deployment}` };
  }
  return { kind: 'task', text: 'a task deployed over the DataTask API' };
}
