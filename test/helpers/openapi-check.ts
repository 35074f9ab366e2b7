import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../app/http/openapi/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

interface Template {
  path: string;
  pattern: RegExp;
  params: number;
}

let state:
  | { document: Json; ajv: Ajv2020; templates: Template[]; compiled: Map<string, ValidateFunction> }
  | undefined;

function load() {
  if (state) return state;
  const document = JSON.parse(JSON.stringify(openApiDocument())) as Json;
  const ajv = documentAjv(document, { strict: false });
  const templates = Object.keys(document.paths).map((path) => ({
    path,
    pattern: new RegExp(
      `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
    ),
    params: (path.match(/\{/g) ?? []).length,
  }));
  state = { document, ajv, templates, compiled: new Map() };
  return state;
}

/**
 * An Ajv that knows the document's formats and components: the components become one schema's
 * $defs, and `relink` points a response schema's `$ref`s at them.
 */
export function documentAjv(document: Json, options: { strict: boolean }): Ajv2020 {
  const ajv = new Ajv2020({ strict: options.strict, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addSchema({ $id: 'components', $defs: relink(document.components.schemas) });
  return ajv;
}

export function relink(schema: Json): Json {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/'),
  );
}

/**
 * What is wrong with a response by the OpenAPI document, or undefined when it is as documented:
 * the operation must be documented, its status declared (a 5xx may fall to `default`) and its
 * JSON body valid. The end-to-end tests' `server.api()` calls go through it.
 */
export function openApiViolation(
  method: string,
  url: string,
  status: number,
  contentType: string,
  text: string,
): string | undefined {
  const { document, ajv, templates, compiled } = load();
  // The server takes a path with a trailing slash as the path without.
  const pathname = new URL(url).pathname.replace(/(.)\/$/, '$1');
  const candidates = templates
    .filter((t) => t.pattern.test(pathname) && document.paths[t.path]?.[method.toLowerCase()])
    .sort((a, b) => a.params - b.params);
  const template = candidates[0];
  // An unknown route answering 404 is right; a documented path asked with a method it does not
  // take answers 405 (or, to OPTIONS, 204 with the methods it takes). Anything else it answers
  // is a route to document.
  if (!template) {
    if (status === 404) return undefined;
    const known = templates.some((t) => t.pattern.test(pathname));
    if (known && (status === 405 || (method === 'OPTIONS' && status === 204))) return undefined;
    return `${method} ${pathname} is not in the OpenAPI document`;
  }
  const operation = document.paths[template.path][method.toLowerCase()];
  const declared =
    operation.responses[String(status)] ??
    (status >= 500 ? operation.responses.default : undefined);
  if (!declared)
    return `${method} ${template.path} answered ${status}, which the document does not declare`;
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (type !== 'application/json' || text === '') return undefined;
  const media = declared.content?.[type];
  if (!media) return `${method} ${template.path} ${status} is not documented as ${type}`;
  const key = `${template.path} ${method} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(relink(media.schema));
    compiled.set(key, validate);
  }
  if (validate(JSON.parse(text))) return undefined;
  return `${method} ${pathname} ${status} does not match the document: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`;
}
