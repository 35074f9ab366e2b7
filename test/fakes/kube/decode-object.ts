import { parseBody } from './http-io.js';
import { isPlainObject, type StoredObject } from './kube-object.js';
import type { ApiRoute } from './parse-api-path.js';
import { apiVersionOf } from './resource-registry.js';
import { badRequest } from './status-error.js';

export interface DecodeOptions {
  /** Server-side apply bodies must name apiVersion and kind. */
  requireTypeMeta?: boolean;
  /** The kind and apiVersion a subresource body has (`Scale`, `autoscaling/v1`). */
  expect?: { apiVersion: string; kind: string };
}

/**
 * Decodes an object from a request body as the API server does: apiVersion and kind must be the
 * route's when given, the namespace in the body must match the URL's (it is filled in when
 * missing), and on an object URL the name must match too.
 */
export function decodeObject(
  route: ApiRoute,
  text: string,
  contentType: string | undefined,
  options: DecodeOptions = {},
): StoredObject {
  const value = parseBody(text, contentType);
  if (!isPlainObject(value))
    throw badRequest(
      `the body of the request was in an unknown format: expected an object, got ${JSON.stringify(value)?.slice(0, 60)}`,
    );
  const object = value as unknown as StoredObject;
  const apiVersion = options.expect?.apiVersion ?? apiVersionOf(route.resource);
  const kind = options.expect?.kind ?? route.resource.kind;
  if (options.requireTypeMeta && (!object.apiVersion || !object.kind)) {
    const missing = !object.kind ? 'Kind' : 'apiVersion';
    throw badRequest(`Object '${missing}' is missing in '${text.slice(0, 200)}'`);
  }
  if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (object.kind !== undefined && object.kind !== kind) {
    throw badRequest(
      `the kind in the data (${String(object.kind)}) does not match the expected kind (${kind})`,
    );
  }
  object.apiVersion = apiVersion;
  object.kind = kind;
  if (object.metadata === undefined || object.metadata === null) object.metadata = {};
  if (!isPlainObject(object.metadata)) throw badRequest('metadata: expected an object');
  const namespace = object.metadata.namespace;
  if (route.resource.namespaced) {
    if (namespace !== undefined && namespace !== '' && namespace !== route.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (route.namespace !== undefined) object.metadata.namespace = route.namespace;
  }
  if (route.name !== undefined) {
    const name = object.metadata.name;
    if (name !== undefined && name !== '' && name !== route.name) {
      throw badRequest(
        `the name of the object (${String(name)}) does not match the name on the URL (${route.name})`,
      );
    }
    object.metadata.name = route.name;
  }
  return object;
}
