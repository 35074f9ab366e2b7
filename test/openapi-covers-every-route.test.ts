import { mkdtempSync, rmSync } from 'node:fs';
import { BlockList } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { Auth } from '../app/http/auth.js';
import { openApiDocument } from '../app/http/openapi/index.js';
import { createHttpApp } from '../app/http/server.js';
import { createEngine } from '../core/engine.js';
import { PatternCatalog, TemplateLibrary } from '../core/patterns/index.js';
import { createLocalRuntime } from '../core/runtime/local/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { silentLogger, systemClock } from '../core/types.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real app, wired as app/main.ts wires it, but on a memory store and never started. */
function realApp() {
  const store = createMemoryStore();
  const engine = createEngine({
    store,
    runtime: createLocalRuntime({ stateDir: path.join(dir, 'local') }),
    source: createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir }),
  });
  return createHttpApp({
    engine,
    templates: new TemplateLibrary(dir),
    catalog: new PatternCatalog(dir, store),
    store,
    auth: new Auth({
      adminToken: 'admin',
      store,
      clock: systemClock,
      trustedPeers: new BlockList(),
    }),
    clock: systemClock,
    logger: silentLogger,
  });
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const document: Json = openApiDocument();

/** `METHOD /path/{param}` of every handler Hono registered (middleware is `ALL`). */
function registered(): Set<string> {
  return new Set(
    realApp()
      .routes.filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
  );
}

function documented(): Set<string> {
  const operations = new Set<string>();
  for (const [route, item] of Object.entries<Json>(document.paths)) {
    for (const method of METHODS)
      if (item[method]) operations.add(`${method.toUpperCase()} ${route}`);
  }
  return operations;
}

describe('the OpenAPI document', () => {
  it('lists every route the server registers, and no route it does not', () => {
    const app = registered();
    const doc = documented();
    expect(app.size).toBeGreaterThan(150);
    expect([...app].filter((op) => !doc.has(op)).sort()).toEqual([]);
    expect([...doc].filter((op) => !app.has(op)).sort()).toEqual([]);
    // Both mounts of DataTask and the MetaKraftwerk prefix are there, not only the root ones.
    expect(doc.has('GET /apps/deploy-api/v1/task/state/{id}')).toBe(true);
    expect(doc.has('DELETE /api/v1/patterns/{id}')).toBe(true);
  });

  it('is structurally OpenAPI 3.1: info, paths, components, unique operation ids, declared path parameters', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBe('Slipway');
    expect(typeof document.info.version).toBe('string');
    expect(Object.keys(document.components.schemas).length).toBeGreaterThan(40);
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const [route, item] of Object.entries<Json>(document.paths)) {
      if (!route.startsWith('/')) problems.push(`${route} does not start with /`);
      const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const method of Object.keys(item)) {
        const op = item[method];
        const where = `${method} ${route}`;
        if (!METHODS.includes(method)) problems.push(`${where}: not an HTTP method`);
        if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} twice`);
        ids.add(op.operationId);
        if (!op.summary || !Array.isArray(op.tags) || op.tags.length === 0)
          problems.push(`${where}: no summary or tags`);
        const params = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
        for (const name of names) {
          if (!params.some((p: Json) => p.name === name && p.required === true))
            problems.push(`${where}: path parameter ${name} is not declared as required`);
        }
        const statuses = Object.keys(op.responses ?? {});
        if (statuses.length === 0) problems.push(`${where}: no responses`);
        for (const status of statuses) {
          if (status !== 'default' && !/^[1-5]\d\d$/.test(status))
            problems.push(`${where}: response ${status}`);
          if (typeof op.responses[status].description !== 'string')
            problems.push(`${where}: response ${status} has no description`);
        }
        for (const requirement of op.security ?? []) {
          for (const scheme of Object.keys(requirement)) {
            if (!document.components.securitySchemes[scheme])
              problems.push(`${where}: unknown security scheme ${scheme}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('resolves every $ref, and every schema is valid JSON Schema 2020-12', () => {
    const unresolved: string[] = [];
    const walk = (value: Json, at: string) => {
      if (!value || typeof value !== 'object') return;
      if (typeof value.$ref === 'string') {
        const target = value.$ref
          .replace(/^#\//, '')
          .split('/')
          .reduce((node: Json, key: string) => node?.[key], document);
        if (!value.$ref.startsWith('#/') || target === undefined)
          unresolved.push(`${at}: ${value.$ref}`);
      }
      for (const [key, child] of Object.entries(value)) walk(child, `${at}/${key}`);
    };
    walk(document, '#');
    expect(unresolved).toEqual([]);

    // Ajv resolves references between schemas it knows: the components become one schema's $defs.
    const relink = (schema: Json): Json =>
      JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/'),
      );
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    ajv.addSchema({ $id: 'components', $defs: relink(document.components.schemas) });
    const invalid: string[] = [];
    for (const name of Object.keys(document.components.schemas)) {
      try {
        ajv.compile(relink({ $ref: `#/components/schemas/${name}` }));
      } catch (error) {
        invalid.push(`${name}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('describes request bodies with the schemas the handlers validate with', () => {
    const create = document.paths['/api/workspaces'].post.requestBody.content['application/json'];
    const schema = document.components.schemas[create.schema.$ref.split('/').pop()];
    expect(schema.required).toEqual(['name', 'repositoryUrl']);
    expect(schema.additionalProperties).toBe(false);
    const patch = document.paths['/deployment/{id}'].patch;
    expect(Object.keys(patch.responses)).toContain('204');
    const body =
      document.components.schemas[
        patch.requestBody.content['application/json'].schema.$ref.split('/').pop()
      ];
    expect(body.properties.status.enum).toContain('finalizing');
  });
});
