import { isPlainObject } from './kube-object.js';
import { isLabelValue, isQualifiedName } from './label-selector.js';
import type { FieldError } from './status-error.js';
import { DNS1123_LABEL, LABEL_MESSAGE, LABEL_VALUE_MESSAGE } from './validate-name.js';

/** Errors of a label map at `field`: qualified-name keys, valid label values. */
export function validateLabels(labels: unknown, field: string, errors: FieldError[]): void {
  if (!isPlainObject(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        value: key,
        detail:
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      });
    }
    if (typeof value !== 'string' || !isLabelValue(value)) {
      const detail =
        typeof value === 'string' && value.length > 63
          ? 'must be no more than 63 characters'
          : LABEL_VALUE_MESSAGE;
      errors.push({ type: 'FieldValueInvalid', field, value, detail });
    }
  }
}

/** Errors of a PodSpec at `field`: containers with names and images, an allowed restartPolicy. */
export function validatePodSpec(
  spec: unknown,
  field: string,
  errors: FieldError[],
  restartPolicies?: string[],
): void {
  if (!isPlainObject(spec)) {
    errors.push({ type: 'FieldValueRequired', field: `${field}.containers`, detail: '' });
    return;
  }
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0)
    errors.push({ type: 'FieldValueRequired', field: `${field}.containers`, detail: '' });
  const seen = new Set<string>();
  containers.forEach((container, i) => {
    const at = `${field}.containers[${i}]`;
    const c = isPlainObject(container) ? container : {};
    const name = typeof c.name === 'string' ? c.name : '';
    if (!name) errors.push({ type: 'FieldValueRequired', field: `${at}.name`, detail: '' });
    else if (!DNS1123_LABEL.test(name))
      errors.push({
        type: 'FieldValueInvalid',
        field: `${at}.name`,
        value: name,
        detail: LABEL_MESSAGE,
      });
    else if (seen.has(name))
      errors.push({ type: 'FieldValueDuplicate', field: `${at}.name`, value: name, detail: '' });
    seen.add(name);
    if (typeof c.image !== 'string' || c.image.trim() === '')
      errors.push({ type: 'FieldValueRequired', field: `${at}.image`, detail: '' });
  });
  const policy = spec.restartPolicy;
  if (restartPolicies && typeof policy === 'string' && !restartPolicies.includes(policy)) {
    errors.push({
      type: 'FieldValueNotSupported',
      field: `${field}.restartPolicy`,
      value: policy,
      detail: `supported values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`,
    });
  }
  if (restartPolicies && policy === undefined) {
    errors.push({
      type: 'FieldValueRequired',
      field: `${field}.restartPolicy`,
      detail: `valid values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`,
    });
  }
}
