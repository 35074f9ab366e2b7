import { isPlainObject, type JsonObject, pathValue, type StoredObject } from './kube-object.js';
import { cronScheduleError } from './parse-cron-schedule.js';
import type { ResourceDef } from './resource-registry.js';
import type { FieldError } from './status-error.js';
import { nameProblems } from './validate-name.js';
import { validateLabels, validatePodSpec } from './validate-pod-spec.js';

function nameKind(plural: string): 'label' | 'subdomain' | 'dns1035' {
  if (plural === 'namespaces') return 'label';
  if (plural === 'services') return 'dns1035';
  return 'subdomain';
}

/** `map[string]string{"app":"web"}`: how Go prints a label map in a field error. */
export function goMap(labels: unknown): string {
  const entries = isPlainObject(labels) ? Object.entries(labels) : [];
  return `map[string]string{${entries.map(([k, v]) => `"${k}":"${String(v)}"`).join(', ')}}`;
}

function selectorMatches(selector: unknown, labels: unknown): boolean {
  const matchLabels = pathValue(selector, 'matchLabels');
  if (!isPlainObject(matchLabels)) return true;
  const have = isPlainObject(labels) ? labels : {};
  return Object.entries(matchLabels).every(([k, v]) => have[k] === v);
}

function validateWorkload(spec: JsonObject, errors: FieldError[], restartPolicies: string[]): void {
  const labels = pathValue(spec, 'template', 'metadata', 'labels');
  if (spec.selector === undefined)
    errors.push({ type: 'FieldValueRequired', field: 'spec.selector', detail: '' });
  else if (!selectorMatches(spec.selector, labels)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      value: undefined,
      detail: `${goMap(labels)}: \`selector\` does not match template \`labels\``,
    });
  }
  validateLabels(labels, 'spec.template.metadata.labels', errors);
  validatePodSpec(
    pathValue(spec, 'template', 'spec'),
    'spec.template.spec',
    errors,
    restartPolicies,
  );
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.replicas',
      value: spec.replicas,
      detail: 'must be greater than or equal to 0',
    });
  }
}

/** Field errors of an object about to be stored (after defaulting), as a real API server reports them (422). */
export function validateObject(resource: ResourceDef, object: StoredObject): FieldError[] {
  const errors: FieldError[] = [];
  const name = object.metadata.name ?? '';
  if (!name) {
    errors.push({
      type: 'FieldValueRequired',
      field: 'metadata.name',
      detail: 'name or generateName is required',
    });
  } else {
    for (const detail of nameProblems(name, nameKind(resource.plural)))
      errors.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail });
  }
  validateLabels(object.metadata.labels, 'metadata.labels', errors);
  const spec = object.spec ?? {};
  switch (resource.plural) {
    case 'pods':
      validatePodSpec(spec, 'spec', errors, ['Always', 'OnFailure', 'Never']);
      break;
    case 'deployments':
    case 'replicasets':
      validateWorkload(spec, errors, ['Always']);
      break;
    case 'jobs':
      // The job-name label the controller puts on pods must stay a valid label value.
      if (name.length > 63)
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.template.labels',
          value: name,
          detail: 'must be no more than 63 characters',
        });
      validateWorkload(spec, errors, ['OnFailure', 'Never']);
      break;
    case 'cronjobs': {
      if (name.length > 52)
        errors.push({
          type: 'FieldValueInvalid',
          field: 'metadata.name',
          value: name,
          detail: 'must be no more than 52 characters',
        });
      const schedule = spec.schedule;
      if (typeof schedule !== 'string' || schedule === '')
        errors.push({ type: 'FieldValueRequired', field: 'spec.schedule', detail: '' });
      else {
        const error = cronScheduleError(schedule);
        if (error)
          errors.push({
            type: 'FieldValueInvalid',
            field: 'spec.schedule',
            value: schedule,
            detail: error,
          });
      }
      const timeZoneError = timeZoneProblem(spec.timeZone);
      if (timeZoneError) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.timeZone',
          value: spec.timeZone,
          detail: timeZoneError,
        });
      }
      validatePodSpec(
        pathValue(spec, 'jobTemplate', 'spec', 'template', 'spec'),
        'spec.jobTemplate.spec.template.spec',
        errors,
        ['OnFailure', 'Never'],
      );
      break;
    }
    case 'services': {
      const ports = Array.isArray(spec.ports) ? spec.ports : [];
      if (ports.length === 0 && spec.clusterIP !== 'None' && spec.type !== 'ExternalName')
        errors.push({ type: 'FieldValueRequired', field: 'spec.ports', detail: '' });
      ports.forEach((port, i) => {
        const p = pathValue(port, 'port');
        if (typeof p !== 'number' || p < 1 || p > 65535)
          errors.push({
            type: 'FieldValueInvalid',
            field: `spec.ports[${i}].port`,
            value: p ?? 0,
            detail: 'must be between 1 and 65535, inclusive',
          });
        if (ports.length > 1 && !pathValue(port, 'name'))
          errors.push({ type: 'FieldValueRequired', field: `spec.ports[${i}].name`, detail: '' });
        // As the API server's validation: port names, and port/protocol pairs, are each unique.
        const name = pathValue(port, 'name');
        if (name && ports.slice(0, i).some((other) => pathValue(other, 'name') === name))
          errors.push({
            type: 'FieldValueDuplicate',
            field: `spec.ports[${i}].name`,
            value: name,
            detail: '',
          });
        const protocol = pathValue(port, 'protocol') ?? 'TCP';
        if (
          ports
            .slice(0, i)
            .some(
              (o) => pathValue(o, 'port') === p && (pathValue(o, 'protocol') ?? 'TCP') === protocol,
            )
        )
          errors.push({
            type: 'FieldValueDuplicate',
            field: `spec.ports[${i}]`,
            value: { port: p, protocol },
            detail: '',
          });
      });
      break;
    }
    case 'ingresses': {
      const rules = Array.isArray(spec.rules) ? spec.rules : [];
      rules.forEach((rule, i) => {
        const paths = pathValue(rule, 'http', 'paths');
        (Array.isArray(paths) ? paths : []).forEach((p, j) => {
          if (!pathValue(p, 'pathType'))
            errors.push({
              type: 'FieldValueRequired',
              field: `spec.rules[${i}].http.paths[${j}].pathType`,
              detail: 'pathType must be specified',
            });
        });
      });
      break;
    }
  }
  return errors;
}

/** What CronJob validation says of `spec.timeZone`: a zone of the IANA database, or absent. */
function timeZoneProblem(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (value === '') return 'timeZone must be nil or non-empty string';
  if (typeof value === 'string' && value.toLowerCase() === 'local') {
    return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: String(value) });
    return null;
  } catch {
    return `unknown time zone ${String(value)}`;
  }
}
