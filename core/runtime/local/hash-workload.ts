import { createHash } from 'node:crypto';
import { stableJson } from '../stable-json.js';
import type { Workload } from '../types.js';

/**
 * The hash that tells a changed workload from an unchanged one: every field of the workload
 * (its `specHash` included) except where its checkout lives (`workdir`) and at which commit
 * (`source.commit`). The port says a push that leaves a task's directory and manifest alone
 * leaves its workload unchanged although the commit, and so the checkout path, moved.
 */
export function hashWorkload(workload: Workload): string {
  const { workdir: _workdir, source, ...spec } = workload;
  const identity = source ? { ...source, commit: undefined } : null;
  return createHash('sha256')
    .update(stableJson({ ...spec, source: identity }))
    .digest('hex');
}
