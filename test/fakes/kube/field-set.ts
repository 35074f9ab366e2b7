import { isPlainObject, type JsonObject } from './kube-object.js';
import { isAtomicMap, itemKey, listMapKeys } from './list-merge-keys.js';

/**
 * Sets of field paths, as server-side apply tracks ownership (`fieldsV1`). A path is a list of
 * elements `f:<field>` and `k:<json key of a list item>`; a set holds the paths of its leaves and
 * of the list items it owns. Paths are kept joined by newlines so a `Set<string>` holds them.
 */
export type FieldSet = Set<string>;

const SEP = '\n';

/** Metadata that no manager owns (set by the server or naming the object). */
const UNTRACKED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

export function splitPath(path: string): string[] {
  return path === '' ? [] : path.split(SEP);
}

export function joinPath(elements: readonly string[]): string {
  return elements.join(SEP);
}

function keyElement(item: unknown, keys: readonly string[]): string {
  const key = itemKey(item, keys);
  const sorted = Object.fromEntries(
    Object.keys(key)
      .sort()
      .map((k) => [k, key[k]]),
  );
  return `k:${JSON.stringify(sorted)}`;
}

/** The fields an object sets: its leaves and keyed list items (apiVersion, kind, server-set metadata excluded). */
export function fieldSetOf(object: unknown): FieldSet {
  const set: FieldSet = new Set();
  if (!isPlainObject(object)) return set;
  for (const [field, value] of Object.entries(object)) {
    if (field === 'apiVersion' || field === 'kind' || value === undefined) continue;
    if (field === 'metadata' && isPlainObject(value)) {
      const metadata = Object.fromEntries(
        Object.entries(value).filter(([k]) => !UNTRACKED_METADATA.has(k)),
      );
      walk(metadata, ['f:metadata'], ['metadata'], set);
    } else {
      visit(value, [`f:${field}`], [field], set);
    }
  }
  return set;
}

function walk(object: JsonObject, elements: string[], names: string[], set: FieldSet): void {
  for (const [field, value] of Object.entries(object)) {
    if (value !== undefined) visit(value, [...elements, `f:${field}`], [...names, field], set);
  }
}

function visit(value: unknown, elements: string[], names: string[], set: FieldSet): void {
  if (isPlainObject(value) && Object.keys(value).length > 0 && !isAtomicMap(names)) {
    walk(value, elements, names, set);
    return;
  }
  const keys = Array.isArray(value) ? listMapKeys(names) : undefined;
  if (keys && Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    for (const item of value) {
      const itemElements = [...elements, keyElement(item, keys)];
      set.add(joinPath(itemElements));
      walk(item as JsonObject, itemElements, names, set);
    }
    return;
  }
  set.add(joinPath(elements));
}

/** Finds the value at a path; `found` is false when any step is missing. */
export function valueAt(root: unknown, path: string): { found: boolean; value?: unknown } {
  let current: unknown = root;
  for (const element of splitPath(path)) {
    if (element.startsWith('f:')) {
      const field = element.slice(2);
      if (!isPlainObject(current) || !Object.hasOwn(current, field)) return { found: false };
      current = current[field];
    } else if (element.startsWith('k:')) {
      const key = JSON.parse(element.slice(2)) as Record<string, unknown>;
      if (!Array.isArray(current)) return { found: false };
      const keys = Object.keys(key);
      current = current.find((item) => {
        const k = itemKey(item, keys);
        return keys.every((name) => k[name] === key[name]);
      });
      if (current === undefined) return { found: false };
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

/** Removes the field or list item at `path` from `root` (in place); missing paths are ignored. */
export function removeAt(root: unknown, path: string): void {
  const elements = splitPath(path);
  const last = elements.pop();
  if (last === undefined) return;
  const parent = valueAt(root, joinPath(elements));
  if (!parent.found) return;
  if (last.startsWith('f:') && isPlainObject(parent.value)) {
    delete parent.value[last.slice(2)];
  } else if (last.startsWith('k:') && Array.isArray(parent.value)) {
    const item = valueAt(root, path);
    const index = parent.value.indexOf(item.value);
    if (index >= 0) parent.value.splice(index, 1);
  }
}

/** Whether `path` is a key field of a list item (`name` under `k:{"name":"app"}`). */
export function isItemKeyField(path: string): boolean {
  const elements = splitPath(path);
  const field = elements.at(-1);
  const item = elements.at(-2);
  if (!field?.startsWith('f:') || !item?.startsWith('k:')) return false;
  return Object.hasOwn(JSON.parse(item.slice(2)) as Record<string, unknown>, field.slice(2));
}

/** `.spec.template.spec.containers[name="app"].image`: how conflicts name a path. */
export function describePath(path: string): string {
  return splitPath(path)
    .map((element) => {
      if (element.startsWith('f:')) return `.${element.slice(2)}`;
      const key = JSON.parse(element.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/** Whether `path` or anything below it is in `set`. */
export function ownsWithin(set: FieldSet, path: string): boolean {
  if (set.has(path)) return true;
  const prefix = path + SEP;
  for (const p of set) if (p.startsWith(prefix)) return true;
  return false;
}

interface Tree {
  member: boolean;
  children: Map<string, Tree>;
}

/** The `fieldsV1` JSON of a set (`{"f:spec":{"f:replicas":{}}}`, `.` marking an owned item). */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: Tree = { member: false, children: new Map() };
  for (const path of [...set].sort()) {
    let node = root;
    for (const element of splitPath(path)) {
      let child = node.children.get(element);
      if (!child) {
        child = { member: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.member = true;
  }
  const render = (node: Tree): JsonObject => {
    const out: JsonObject = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const [element, child] of node.children) out[element] = render(child);
    return out;
  };
  return render(root);
}

export function fromFieldsV1(fields: JsonObject | undefined): FieldSet {
  const set: FieldSet = new Set();
  const read = (node: JsonObject, elements: string[]) => {
    for (const [element, child] of Object.entries(node)) {
      if (element === '.') {
        set.add(joinPath(elements));
      } else if (isPlainObject(child) && Object.keys(child).length > 0) {
        read(child, [...elements, element]);
      } else {
        set.add(joinPath([...elements, element]));
      }
    }
  };
  if (fields) read(fields, []);
  return set;
}
