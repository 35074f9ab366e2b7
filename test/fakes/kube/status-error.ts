import { qualifiedKind, qualifiedResource, type ResourceDef } from './resource-registry.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A meta/v1 Status, the body of every error answer (and of some deletes). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the API server answers with a Status body. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** Details naming a resource the way the API server does: the plural stands in `kind`. */
function resourceDetails(resource: ResourceDef, name?: string): StatusDetails {
  const details: StatusDetails = {};
  if (name !== undefined) details.name = name;
  if (resource.group) details.group = resource.group;
  details.kind = resource.plural;
  return details;
}

export function notFound(resource: ResourceDef, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${qualifiedResource(resource)} "${name}" not found`,
    resourceDetails(resource, name),
  );
}

export function alreadyExists(resource: ResourceDef, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(resource)} "${name}" already exists`,
    resourceDetails(resource, name),
  );
}

export function conflict(
  resource: ResourceDef,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`,
    resourceDetails(resource, name),
  );
}

export function forbidden(
  resource: ResourceDef,
  name: string | undefined,
  why: string,
): StatusError {
  const what =
    name === undefined ? qualifiedResource(resource) : `${qualifiedResource(resource)} "${name}"`;
  return new StatusError(
    403,
    'Forbidden',
    `${what} is forbidden: ${why}`,
    resourceDetails(resource, name),
  );
}

/** A field error as `field.ErrorList` renders it: `spec.x: Invalid value: "y": why`. */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong'
    | 'FieldValueDuplicate';
  field: string;
  /** The detail after the type's words, e.g. `field is immutable`. */
  detail: string;
  /** The value shown for Invalid, NotSupported and TooLong errors. */
  value?: unknown;
}

const TYPE_WORDS: Record<FieldError['type'], string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueDuplicate: 'Duplicate value',
};

function causeMessage(error: FieldError): string {
  const words = TYPE_WORDS[error.type];
  const shown = error.value === undefined ? '' : `: ${goValue(error.value)}`;
  return error.detail ? `${words}${shown}: ${error.detail}` : `${words}${shown}`;
}

/** Values as Go's `%#v` prints the common cases in field errors. */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** 422 Invalid, message and causes exactly shaped as `errors.NewInvalid`. */
export function invalid(resource: ResourceDef, name: string, errors: FieldError[]): StatusError {
  const causes = errors.map((e) => ({ reason: e.type, message: causeMessage(e), field: e.field }));
  const rendered = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  const details: StatusDetails = { name };
  if (resource.group) details.group = resource.group;
  details.kind = resource.kind;
  details.causes = causes;
  return new StatusError(
    422,
    'Invalid',
    `${qualifiedKind(resource)} "${name}" is invalid: ${summary}`,
    details,
  );
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function methodNotAllowed(): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] },
  );
}

export function internalError(why: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${why}`, {
    causes: [{ reason: '', message: why }],
  });
}
