import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/server.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [
    ...text.matchAll(
      /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ];
  return specifiers.map((m) => m[1] ?? m[2] ?? '');
}

/** Files reachable from `entry` through relative imports (type-only ones included). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      if (!specifier.startsWith('.')) continue;
      queue.push(path.normalize(path.join(path.dirname(file), specifier.replace(/\.js$/, '.ts'))));
    }
  }
  return seen;
}

describe('the dependency rule (DESIGN.md section 1)', () => {
  const core = sourceFiles('core');

  it('finds the engine sources it checks', () => {
    expect(core).toContain('core/engine.ts');
    expect(core.length).toBeGreaterThan(20);
  });

  it('keeps core/ free of hosts: no hono, probot, @actions/*, app/ or action/ imports, no process.env', () => {
    const offenders: string[] = [];
    for (const file of core) {
      for (const specifier of importsOf(file)) {
        if (/^(hono|@hono\/|probot|@actions\/)/.test(specifier))
          offenders.push(`${file} imports ${specifier}`);
        if (specifier.startsWith('.')) {
          const target = path.normalize(path.join(path.dirname(file), specifier));
          if (!target.startsWith('core/')) offenders.push(`${file} imports ${specifier}`);
        }
      }
      if (/process\.env/.test(readFileSync(path.join(ROOT, file), 'utf8')))
        offenders.push(`${file} reads process.env`);
    }
    expect(offenders).toEqual([]);
  });

  it('imports better-sqlite3 from core/store/sqlite.ts only', () => {
    const importers = [...core, ...sourceFiles('app')].filter((file) =>
      importsOf(file).includes('better-sqlite3'),
    );
    expect(importers).toEqual(['core/store/sqlite.ts']);
  });

  it('keeps action/ away from app/ and from the SQLite store', () => {
    const files = reachable('action/index.ts');
    expect(files.has('action/run.ts')).toBe(true);
    expect([...files].filter((f) => f.startsWith('app/') || f.endsWith('store/sqlite.ts'))).toEqual(
      [],
    );
    expect([...files].filter((f) => importsOf(f).includes('better-sqlite3'))).toEqual([]);
  });

  it('lets the engine and the store port be bundled without the SQLite addon (what the Action imports)', () => {
    for (const entry of ['core/engine.ts', 'core/store/index.ts']) {
      const files = reachable(entry);
      expect(files.has(entry)).toBe(true);
      expect([...files].filter((file) => file.endsWith('store/sqlite.ts'))).toEqual([]);
    }
  });
});
