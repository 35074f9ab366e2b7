import { deepCopy, deepEqual, isPlainObject } from './kube-object.js';
import { badRequest, StatusError } from './status-error.js';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** A failed operation: the API server answers these 422 (the patch itself is well-formed). */
function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`invalid JSON pointer: "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the pointer's last token, and that token. */
function locate(doc: unknown, pointer: string): { parent: unknown; token: string } {
  const tokens = parsePointer(pointer);
  const token = tokens.pop();
  if (token === undefined)
    throw unprocessable(`unable to operate on the document root: "${pointer}"`);
  let parent = doc;
  for (const t of tokens) {
    if (Array.isArray(parent)) parent = parent[Number(t)];
    else if (isPlainObject(parent)) parent = parent[t];
    else parent = undefined;
    if (parent === undefined)
      throw unprocessable(`doc is missing path: "${pointer}": missing value`);
  }
  return { parent, token };
}

function read(doc: unknown, pointer: string): unknown {
  let current = doc;
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(t)];
    else if (isPlainObject(current)) current = current[t];
    else current = undefined;
    if (current === undefined)
      throw unprocessable(`doc is missing path: "${pointer}": missing value`);
  }
  return current;
}

function add(doc: unknown, pointer: string, value: unknown): void {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) {
    const index = token === '-' ? parent.length : Number(token);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw unprocessable(
        `add operation does not apply: doc is missing path: "${pointer}": missing value`,
      );
    parent.splice(index, 0, deepCopy(value));
  } else if (isPlainObject(parent)) {
    parent[token] = deepCopy(value) as never;
  } else {
    throw unprocessable(
      `add operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  }
}

function remove(doc: unknown, pointer: string): void {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent) && Number(token) < parent.length) {
    parent.splice(Number(token), 1);
  } else if (isPlainObject(parent) && Object.hasOwn(parent, token)) {
    delete parent[token];
  } else {
    throw unprocessable(
      `remove operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  }
}

/** RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch))
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const doc = { root: deepCopy(target) };
  const at = (p: string) => `/root${p}`;
  for (const raw of patch as Operation[]) {
    if (!isPlainObject(raw) || typeof raw.path !== 'string')
      throw badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
    switch (raw.op) {
      case 'add':
        add(doc, at(raw.path), raw.value);
        break;
      case 'remove':
        remove(doc, at(raw.path));
        break;
      case 'replace':
        read(doc, at(raw.path));
        remove(doc, at(raw.path));
        add(doc, at(raw.path), raw.value);
        break;
      case 'move': {
        const value = read(doc, at(raw.from ?? ''));
        remove(doc, at(raw.from ?? ''));
        add(doc, at(raw.path), value);
        break;
      }
      case 'copy':
        add(doc, at(raw.path), read(doc, at(raw.from ?? '')));
        break;
      case 'test':
        if (!deepEqual(read(doc, at(raw.path)), raw.value))
          throw unprocessable(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return doc.root;
}
