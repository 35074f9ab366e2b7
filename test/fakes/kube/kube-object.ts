import { isDeepStrictEqual } from 'node:util';

/** Any JSON value, as stored and served by the test server. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: JsonValue | undefined | object;
}

/** An object as the test server stores and serves it: JSON with Kubernetes object metadata. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: JsonObject;
  status?: JsonObject;
  [field: string]: JsonValue | undefined | object;
}

/**
 * An object as tests read it from `KubeApiServer.objects()`: typed apiVersion, kind and
 * metadata; spec, status and every other field free-form, so a test can reach into them
 * (`objects('services', ns)[0]?.spec.ports[0].port`) as it asserts.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary spec fields and assert on them
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary status fields and assert on them
  status?: any;
  // biome-ignore lint/suspicious/noExplicitAny: data, rules, and the other top-level fields of every kind
  [field: string]: any;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy through JSON, the only form objects ever take on the wire (undefined fields drop). */
export function deepCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** Follows `path` through nested objects; undefined as soon as a step is missing. */
export function pathValue(root: unknown, ...path: string[]): JsonValue | undefined {
  let current: unknown = root;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current as JsonValue | undefined;
}

/** The object at `path`, created (as `{}`) where missing. */
export function ensureObject(root: object, ...path: string[]): JsonObject {
  let current = root as JsonObject;
  for (const key of path) {
    const next = current[key];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: JsonObject = {};
      current[key] = created;
      current = created;
    }
  }
  return current;
}

/** Timestamps as Kubernetes writes them in metadata and conditions (RFC 3339, seconds). */
export function kubeTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Timestamps with nanoseconds, as kubelets prefix log lines. */
export function kubeTimeNano(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 23)}000000Z`;
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Random suffix as the API server's name generator makes it (no vowels, no confusable digits). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out += SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)];
  }
  return out;
}
