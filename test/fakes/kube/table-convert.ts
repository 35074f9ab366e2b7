import type { StoredObject } from './kube-object.js';
import { AGE, COLUMNS, NAME } from './table-columns.js';

/** A meta.k8s.io/v1 Table, as the API server answers `Accept: application/json;as=Table;...`. */
export function toTable(
  plural: string,
  objects: StoredObject[],
  metadata: Record<string, unknown>,
  includeObject: string | null,
): unknown {
  const columns = COLUMNS[plural] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => {
      const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(o)) };
      if (includeObject === 'Object') row.object = o;
      else if (includeObject !== 'None')
        row.object = {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata,
        };
      return row;
    }),
  };
}

/** Whether the client asked for a Table (kubectl's human-readable `get`). */
export function wantsTable(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0] ?? '';
  return /as=Table/.test(first);
}
