import { createHash } from 'node:crypto';
import path from 'node:path';
import type { TaskManifest } from '../config/index.js';
import { stableJson } from '../runtime/stable-json.js';
import { LABELS, MANAGED_BY_VALUE, type Workload, type WorkloadKind } from '../runtime/types.js';

export interface RenderContext {
  namespace: string;
  /** Absolute root of the checkout the manifest was read from. */
  checkoutDir: string;
  /** Directory of the task inside the checkout (`.` for the root). */
  directory: string;
  repository: string;
  commit: string;
  /** Content digest of the task directory (`digestDirectory`). */
  digest: string;
  /** Ownership labels (e.g. `slipway.dev/workspace`); they win over the manifest's labels. */
  labels?: Record<string, string>;
  /** Deploy under this name instead of the manifest's (DataTask `deployas`). */
  name?: string;
  /**
   * Leave the manifest's `published` out (no Ingress): a pull request's preview would take the
   * routes of the workspace it previews.
   */
  unpublished?: boolean;
  /** Overrides the manifest's schedule; a non-empty one makes a job a cron job. */
  schedule?: string | null;
}

/** The runtime kind a manifest becomes: a job with a schedule is a cron job. */
export function workloadKind(type: TaskManifest['type'], schedule: string | null): WorkloadKind {
  if (type === 'job') return schedule ? 'cronjob' : 'job';
  return type;
}

/**
 * Renders a task manifest into the plain workload a runtime applies. Pure: the same manifest and
 * context always give the same workload, which is what lets runtimes tell unchanged from changed.
 *
 * @example
 * renderWorkload(manifest, { namespace: 'demo', checkoutDir, directory: 'tasks/hello',
 *   repository: 'demo', commit, labels: { 'slipway.dev/workspace': workspace.id } })
 */
export function renderWorkload(manifest: TaskManifest, context: RenderContext): Workload {
  const name = context.name ?? manifest.name;
  const schedule = context.schedule === undefined ? manifest.schedule : context.schedule || null;
  const kind = workloadKind(manifest.type, schedule);
  const workload: Omit<Workload, 'specHash'> = {
    kind,
    namespace: context.namespace,
    name,
    labels: {
      ...manifest.labels,
      ...context.labels,
      [LABELS.managedBy]: MANAGED_BY_VALUE,
      [LABELS.task]: name,
    },
    image: manifest.imageDestination,
    imagePullPolicy: manifest.imagePullPolicy,
    command: manifest.cmd,
    env: manifest.env,
    schedule: kind === 'cronjob' ? schedule : null,
    replicas: kind === 'job' || kind === 'cronjob' ? 1 : (manifest.replicas ?? 1),
    port: kind === 'service' ? manifest.containerPort : null,
    resources: {
      ...(manifest.cpuRequest ? { cpuRequest: manifest.cpuRequest } : {}),
      ...(manifest.cpuLimit ? { cpuLimit: manifest.cpuLimit } : {}),
      ...(manifest.memoryRequest ? { memoryRequest: manifest.memoryRequest } : {}),
      ...(manifest.memoryLimit ? { memoryLimit: manifest.memoryLimit } : {}),
    },
    published: kind === 'service' && !context.unpublished ? manifest.published : null,
    workdir: path.join(context.checkoutDir, context.directory),
    source: {
      repository: context.repository,
      commit: context.commit,
      directory: context.directory,
      digest: context.digest,
    },
  };
  return { ...workload, specHash: specHash(workload) };
}

/** The hash that tells changed from unchanged: everything but where and at which commit it lives. */
export function specHash(workload: Omit<Workload, 'specHash'>): string {
  const { workdir: _workdir, source, ...spec } = workload;
  const identity = source ? { ...source, commit: undefined } : null;
  return createHash('sha256')
    .update(stableJson({ ...spec, source: identity }))
    .digest('hex')
    .slice(0, 32);
}
