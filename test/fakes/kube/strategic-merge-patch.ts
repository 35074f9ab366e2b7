import { deepCopy, isPlainObject } from './kube-object.js';
import { isMergedPrimitiveList, patchMergeKey } from './list-merge-keys.js';
import { badRequest } from './status-error.js';

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the built-in kinds: like a
 * merge patch, except that the well-known lists (containers and env by `name`, container ports
 * by `containerPort`, service ports by `port`, volumes, ...) merge item by item on their key,
 * and the directives `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/` and
 * `$setElementOrder/` (sent by `kubectl apply`) are understood.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  return mergeObject(target, patch, []);
}

function mergeObject(target: unknown, patch: unknown, path: string[]): unknown {
  if (!isPlainObject(patch)) return deepCopy(patch);
  const directive = patch.$patch;
  if (directive === 'replace') return withoutDirectives(patch);
  if (directive === 'delete') return undefined;
  if (directive !== undefined)
    throw badRequest(`Unrecognized $patch directive: ${String(directive)}`);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value))
        result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    const childPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, childPath);
    } else if (isPlainObject(value)) {
      const merged = mergeObject(result[key], value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) {
      if (!retain.includes(key)) delete result[key];
    }
  }
  return result;
}

function mergeList(target: unknown, patch: unknown[], path: string[]): unknown[] {
  const current = Array.isArray(target) ? [...target] : [];
  if (isMergedPrimitiveList(path)) {
    return [...current, ...patch.filter((v) => !current.includes(v))];
  }
  const key = patchMergeKey(path);
  if (!key) return patch.map((item) => (isPlainObject(item) ? withoutDirectives(item) : item));
  if (patch.some((item) => isPlainObject(item) && item.$patch === 'replace')) {
    return patch
      .filter((item) => !(isPlainObject(item) && item.$patch === 'replace'))
      .map((item) => deepCopy(item));
  }
  for (const item of patch) {
    if (!isPlainObject(item))
      throw badRequest(
        `expected a map in the list at ${path.join('.')}, got ${JSON.stringify(item)}`,
      );
    if (item[key] === undefined)
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const index = current.findIndex(
      (existing) => isPlainObject(existing) && existing[key] === item[key],
    );
    if (item.$patch === 'delete') {
      if (index >= 0) current.splice(index, 1);
    } else if (index >= 0) {
      current[index] = mergeObject(current[index], item, path);
    } else {
      current.push(mergeObject(undefined, item, path));
    }
  }
  return current;
}

function withoutDirectives(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!k.startsWith('$')) out[k] = deepCopy(v);
  }
  return out;
}
