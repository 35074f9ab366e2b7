import { deepCopy, deepEqual, isPlainObject, pathValue, type StoredObject } from './kube-object.js';
import type { FieldError } from './status-error.js';
import { goMap } from './validate-object.js';

/** `v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, ...}`, as Go prints it. */
function goSelector(selector: unknown): string {
  const expressions = pathValue(selector, 'matchExpressions');
  const shown = Array.isArray(expressions)
    ? `[]v1.LabelSelectorRequirement{${expressions.map((e) => JSON.stringify(e)).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goMap(pathValue(selector, 'matchLabels'))}, MatchExpressions:${shown}}`;
}

/** A short Go-like rendering of a pod template: its labels and containers. */
function goTemplate(template: unknown): string {
  const containers = pathValue(template, 'spec', 'containers');
  const shown = (Array.isArray(containers) ? containers : []).map(
    (c) =>
      `{Name:"${String(pathValue(c, 'name'))}", Image:"${String(pathValue(c, 'image'))}", ...}`,
  );
  return `core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Labels:${goMap(pathValue(template, 'metadata', 'labels'))}, ...}, Spec:core.PodSpec{Containers:[]core.Container{${shown.join(', ')}}, ...}}`;
}

function immutable(field: string, rendered: string): FieldError {
  return { type: 'FieldValueInvalid', field, detail: `${rendered}: field is immutable` };
}

/** What pod updates may change; anything else in a pod's spec is frozen once created. */
function mutablePodParts(spec: unknown): unknown {
  if (!isPlainObject(spec)) return spec;
  const copy = deepCopy(spec);
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  for (const list of ['containers', 'initContainers']) {
    const containers = copy[list];
    if (Array.isArray(containers)) for (const c of containers) if (isPlainObject(c)) delete c.image;
  }
  return copy;
}

/**
 * The immutable-field errors of an update from `before` to `after` (422 Invalid), as the real
 * validation reports them: a Job's template, selector and completions; a Deployment's or
 * ReplicaSet's selector; a Service's clusterIP once set; a Pod's spec beyond images.
 */
export function immutableFieldErrors(
  plural: string,
  before: StoredObject,
  after: StoredObject,
): FieldError[] {
  const errors: FieldError[] = [];
  const was = (...path: string[]) => pathValue(before, ...path);
  const now = (...path: string[]) => pathValue(after, ...path);
  const changed = (...path: string[]) => !deepEqual(was(...path), now(...path));
  switch (plural) {
    case 'jobs':
      if (changed('spec', 'selector'))
        errors.push(immutable('spec.selector', goSelector(now('spec', 'selector'))));
      if (changed('spec', 'template'))
        errors.push(immutable('spec.template', goTemplate(now('spec', 'template'))));
      if (changed('spec', 'completions'))
        errors.push(immutable('spec.completions', String(now('spec', 'completions'))));
      break;
    case 'deployments':
    case 'replicasets':
      if (changed('spec', 'selector'))
        errors.push(immutable('spec.selector', goSelector(now('spec', 'selector'))));
      break;
    case 'services': {
      const old = was('spec', 'clusterIP');
      const next = now('spec', 'clusterIP');
      if (typeof old === 'string' && old !== '' && next !== old) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.clusterIPs[0]',
          detail: `[]string{"${String(next ?? '')}"}: may not change once set`,
        });
        errors.push(immutable('spec.clusterIP', JSON.stringify(next ?? '')));
      }
      break;
    }
    case 'pods':
      if (!deepEqual(mutablePodParts(was('spec')), mutablePodParts(now('spec')))) {
        errors.push({
          type: 'FieldValueForbidden',
          field: 'spec',
          detail:
            'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        });
      }
      break;
  }
  return errors;
}
