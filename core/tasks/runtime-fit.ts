import type { TaskManifest } from '../config/index.js';
import type { Runtime } from '../runtime/types.js';
import { renderWorkload } from './render-workload.js';

/**
 * Why `runtime` could never run the task `manifest` deployed as `name` in `namespace` (a task
 * with no `cmd` on the local runtime, no image on Kubernetes), or null. Asked before a deploy or
 * a run is queued, so it is a 4xx and nothing runs, not a job that fails halfway.
 *
 * @example
 * runtimeMisfit(runtime, manifest, { namespace: 'flows', name: 'load', schedule: null })
 * // "job 'load' has no command (\"cmd\"); the local runtime runs cmd and cannot run an image"
 */
export function runtimeMisfit(
  runtime: Pick<Runtime, 'cannotRun'>,
  manifest: TaskManifest,
  at: { namespace: string; name: string; schedule: string | null },
): string | null {
  // Only the manifest decides what a runtime can run; where it runs from does not matter here.
  const workload = renderWorkload(manifest, {
    ...at,
    checkoutDir: '.',
    directory: '.',
    repository: '',
    commit: '',
    digest: '',
  });
  return runtime.cannotRun(workload);
}
