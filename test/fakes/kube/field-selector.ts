import { pathValue, type StoredObject } from './kube-object.js';
import { badRequest } from './status-error.js';

export type FieldMatcher = (object: StoredObject) => boolean;

/** The fields each resource indexes for `fieldSelector` (beyond metadata.name and metadata.namespace). */
const SELECTABLE: Record<string, Record<string, (o: StoredObject) => unknown>> = {
  pods: {
    'spec.nodeName': (o) => pathValue(o, 'spec', 'nodeName') ?? '',
    'spec.restartPolicy': (o) => pathValue(o, 'spec', 'restartPolicy'),
    'spec.schedulerName': (o) => pathValue(o, 'spec', 'schedulerName'),
    'spec.serviceAccountName': (o) => pathValue(o, 'spec', 'serviceAccountName'),
    'spec.hostNetwork': (o) => String(pathValue(o, 'spec', 'hostNetwork') ?? false),
    'status.phase': (o) => pathValue(o, 'status', 'phase'),
    'status.podIP': (o) => pathValue(o, 'status', 'podIP') ?? '',
    'status.nominatedNodeName': (o) => pathValue(o, 'status', 'nominatedNodeName') ?? '',
  },
  jobs: {
    'status.successful': (o) => String(pathValue(o, 'status', 'succeeded') ?? 0),
  },
  namespaces: {
    'status.phase': (o) => pathValue(o, 'status', 'phase'),
  },
  events: {
    'involvedObject.kind': (o) => pathValue(o, 'involvedObject', 'kind'),
    'involvedObject.name': (o) => pathValue(o, 'involvedObject', 'name'),
    'involvedObject.namespace': (o) => pathValue(o, 'involvedObject', 'namespace'),
    'involvedObject.uid': (o) => pathValue(o, 'involvedObject', 'uid'),
    reason: (o) => o.reason,
    type: (o) => o.type,
  },
};

const COMMON: Record<string, (o: StoredObject) => unknown> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

/**
 * Parses a `fieldSelector` (`metadata.name=x,status.phase!=Running`) for `plural`; fields the
 * resource does not index answer 400 `field label not supported`, as a real API server does.
 */
export function parseFieldSelector(plural: string, selector: string | undefined): FieldMatcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const fields = { ...COMMON, ...SELECTABLE[plural] };
  const checks: FieldMatcher[] = [];
  for (const term of selector.split(',')) {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    const read = fields[field];
    if (!read) throw badRequest(`field label not supported: ${field}`);
    checks.push(
      op === '!=' ? (o) => String(read(o) ?? '') !== value : (o) => String(read(o) ?? '') === value,
    );
  }
  return (object) => checks.every((check) => check(object));
}
