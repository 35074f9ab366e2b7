/** How the CLI prints what the server answered: JSON as it came, or a table for people. */
export type OutputFormat = 'json' | 'table';

type Row = Record<string, unknown>;

interface Column {
  header: string;
  value(row: Row): unknown;
  /** Cut to this many characters (the last column is never padded). */
  max?: number;
}

const field =
  (...path: string[]) =>
  (row: Row): unknown =>
    path.reduce<unknown>((value, key) => (value as Row | undefined)?.[key], row);
const short = (value: unknown, length: number) =>
  typeof value === 'string' ? value.slice(0, length) : value;

/** The columns of each kind of list, by the key the server puts its items under. */
const COLUMNS: Record<string, Column[]> = {
  workspaces: [
    { header: 'NAME', value: field('name') },
    { header: 'NAMESPACE', value: field('namespace') },
    {
      header: 'BRANCH',
      // A preview's branch is a pull request's: which one says more than the branch name.
      value: (r) => {
        const pullRequest = field('preview', 'pullRequest')(r);
        return pullRequest ? `${field('branch')(r)} (PR #${pullRequest})` : field('branch')(r);
      },
    },
    {
      header: 'STATUS',
      // A pause is what someone scanning the list must not miss.
      value: (r) => (field('paused')(r) ? `${field('status')(r)} (PAUSED)` : field('status')(r)),
    },
    { header: 'DEPLOYED', value: (r) => short(field('lastDeployment', 'commitId')(r), 12) },
    { header: 'AT', value: field('lastDeployment', 'time') },
    { header: 'REPOSITORY', value: field('repositoryUrl') },
  ],
  jobs: [
    { header: 'ID', value: field('id') },
    { header: 'TYPE', value: field('type') },
    { header: 'STATUS', value: field('status') },
    { header: 'CREATED', value: field('created') },
    { header: 'COMMIT', value: (r) => short(field('commitId')(r), 12) },
    { header: 'MESSAGE', value: field('message'), max: 100 },
  ],
  tokens: [
    { header: 'ID', value: field('id') },
    { header: 'NAME', value: field('name') },
    { header: 'CREATED', value: field('created') },
    { header: 'LAST USED', value: field('lastUsed') },
  ],
  application: [
    { header: 'ID', value: field('id') },
    { header: 'NAME', value: field('name') },
    { header: 'STATUS', value: field('status') },
    { header: 'REPOSITORY', value: field('repository_url') },
    { header: 'PATH', value: field('repository_path') },
  ],
  build: [
    { header: 'ID', value: field('id') },
    { header: 'APPLICATION', value: field('application_id') },
    { header: 'STATUS', value: field('status') },
    { header: 'BRANCH', value: field('branch') },
    { header: 'COMMIT', value: (r) => short(field('commit', 'id')(r), 12) },
    { header: 'CREATED', value: field('created_at') },
  ],
  release: [
    { header: 'ID', value: field('id') },
    { header: 'APPLICATION', value: field('application_id') },
    { header: 'SEMVER', value: field('semver') },
    { header: 'STATUS', value: field('status') },
    { header: 'BUILD', value: field('build_id') },
    { header: 'CREATED', value: field('created_at') },
  ],
  scope: [
    { header: 'ID', value: field('id') },
    { header: 'APPLICATION', value: field('application_id') },
    { header: 'NAME', value: field('name') },
    { header: 'NAMESPACE', value: field('namespace') },
    { header: 'ACTIVE', value: field('active_deployment') },
    { header: 'ADDRESS', value: field('address') },
  ],
  deployment: [
    { header: 'ID', value: field('id') },
    { header: 'SCOPE', value: field('scope_id') },
    { header: 'RELEASE', value: field('release_id') },
    { header: 'STATUS', value: field('status') },
    { header: 'STRATEGY', value: field('strategy') },
    { header: 'TRAFFIC', value: (r) => `${field('strategy_data', 'switched_traffic')(r) ?? 0} %` },
    { header: 'CREATED', value: field('created_at') },
  ],
};

/**
 * What the server answered, for a person: a list (a HAL page's `_embedded` items, a
 * nullplatform page's `results`, or a whole list under its one key) as a table with a line saying where it is in the whole; any
 * other object as `field: value` lines. `resource` names a nullplatform page's kind.
 */
export function renderTable(body: unknown, resource: string): string {
  const list = listOf(body, resource);
  if (list?.rows.length === 0) return list.footer;
  if (list) return `${table(list.rows, list.columns)}\n${list.footer}`;
  if (!isRow(body)) return JSON.stringify(body, null, 2);
  const entries = Object.entries(body).filter(([key]) => key !== '_links');
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${cell(value)}`).join('\n');
}

function listOf(body: unknown, resource: string) {
  if (!isRow(body)) return undefined;
  const embedded = body._embedded;
  if (isRow(embedded)) {
    const [key, rows] = Object.entries(embedded)[0] ?? [];
    if (!key || !Array.isArray(rows)) return undefined;
    const page = body.page as { number: number; totalPages: number; totalElements: number };
    const more = page.number + 1 < page.totalPages ? `; next: --page ${page.number + 1}` : '';
    return {
      rows: rows as Row[],
      columns: COLUMNS[key] ?? guessColumns(rows as Row[]),
      footer:
        page.totalElements === 0
          ? `no ${key}`
          : `page ${page.number + 1} of ${Math.max(page.totalPages, 1)}, ${page.totalElements} in all${more}`,
    };
  }
  if (Array.isArray(body.results) && isRow(body.paging)) {
    const rows = body.results as Row[];
    const { offset, total } = body.paging as { offset: number; limit: number; total: number };
    const more = offset + rows.length < total ? `; next: --offset ${offset + rows.length}` : '';
    return {
      rows,
      columns: COLUMNS[resource] ?? guessColumns(rows),
      footer:
        rows.length === 0
          ? `no ${resource}s${total > 0 ? ` from ${offset} on, ${total} in all` : ''}`
          : `${offset + 1}-${offset + rows.length} of ${total}${more}`,
    };
  }
  // A whole list under its one key, unpaged: `{tokens: [...]}`.
  const [whole, ...others] = Object.entries(body);
  if (whole && others.length === 0 && Array.isArray(whole[1]) && whole[1].every(isRow)) {
    const [key, rows] = whole as [string, Row[]];
    return {
      rows,
      columns: COLUMNS[key] ?? guessColumns(rows),
      footer: rows.length === 0 ? `no ${key}` : `${rows.length} in all`,
    };
  }
  return undefined;
}

/** For a kind of list not above: its first rows' plain fields, at most six. */
function guessColumns(rows: Row[]): Column[] {
  const keys = Object.keys(rows[0] ?? {}).filter((key) => {
    const value = rows[0]?.[key];
    return value === null || ['string', 'number', 'boolean'].includes(typeof value);
  });
  return keys.slice(0, 6).map((key) => ({ header: key.toUpperCase(), value: field(key) }));
}

function table(rows: Row[], columns: Column[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => {
      const text = cell(column.value(row));
      return column.max && text.length > column.max ? `${text.slice(0, column.max - 1)}…` : text;
    }),
  );
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** One line: text as it is (line breaks as spaces), nothing as '-', the rest as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return value.replace(/\s*\n\s*/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
