import { z } from 'zod';
import type { JsonSchema } from './route-spec.js';

/** Formats JSON Schema 2020-12 defines; zod's own (`starts_with`...) are dropped, its patterns stay. */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'uuid',
  'regex',
]);

/**
 * The schemas of a registry as OpenAPI components: references between them point at
 * `#/components/schemas/<id>`; `$schema` and `$id` (meaningless inside OpenAPI) are removed.
 */
export function componentsOf(
  registry: z.core.$ZodRegistry<{ id: string }>,
  io: 'input' | 'output',
): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const components: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    components[id] = tidy(schema) as JsonSchema;
  }
  return components;
}

/** Drops what OpenAPI tools stumble on or repeat: `$schema`, `$id`, zod-only formats, safe-int bounds. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === 'format' && typeof child === 'string' && !STANDARD_FORMATS.has(child)) continue;
    // zod spells date-time out as a 600-character pattern; the format says the same.
    if (key === 'pattern' && (value as { format?: unknown }).format === 'date-time') continue;
    if (
      (key === 'minimum' || key === 'maximum') &&
      Math.abs(child as number) === Number.MAX_SAFE_INTEGER
    )
      continue;
    out[key] = tidy(child);
  }
  return out;
}
