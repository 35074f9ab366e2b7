import { z } from 'zod';
import {
  issuesToProblems,
  type JsonSource,
  locate,
  NAME_PATTERN,
  parseJsonSource,
  parsePipelineConfig,
  parseTaskManifest,
  sortProblems,
} from '../config/index.js';
import type { Problem } from '../errors.js';
import type { TemplateKind } from './template-library.js';

export const DEFINITION_TYPES = ['KUBERNETES', 'GIT', 'API', 'GROUP'] as const;
export type DefinitionType = (typeof DEFINITION_TYPES)[number];

const name = z
  .string({ error: 'expected a string' })
  .min(1, { error: 'expected a non-empty name' })
  .max(100, { error: 'expected at most 100 characters' });

/** A deployment definition: where instances of a pattern are delivered (DESIGN.md 7.3). */
export const definitionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      name,
      type: z.literal('KUBERNETES'),
      namespace: z
        .string({ error: 'expected a Kubernetes namespace' })
        .max(63, { error: 'expected at most 63 characters' })
        .regex(NAME_PATTERN, { error: "expected lowercase letters, digits and '-'" }),
      description: z.string({ error: 'expected a string' }).optional(),
    }),
    z.strictObject({
      name,
      type: z.literal('GIT'),
      repository: z
        .string({ error: 'expected a git URL or repository name' })
        .min(1, { error: 'expected a git URL or repository name' }),
      branch: z.string({ error: 'expected a branch name' }).min(1).default('main'),
      path: z.string({ error: 'expected a path in the repository' }).optional(),
      description: z.string({ error: 'expected a string' }).optional(),
    }),
    z.strictObject({
      name,
      type: z.literal('API'),
      url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
      method: z.enum(['POST', 'PUT'], { error: 'expected POST or PUT' }).default('POST'),
      description: z.string({ error: 'expected a string' }).optional(),
    }),
    z.strictObject({
      name,
      type: z.literal('GROUP'),
      mode: z.enum(['SEQUENTIAL', 'PARALLEL'], { error: 'expected SEQUENTIAL or PARALLEL' }),
      children: z
        .array(name, { error: 'expected an array of definition names' })
        .min(1, { error: 'expected at least one child' }),
      description: z.string({ error: 'expected a string' }).optional(),
    }),
  ],
  { error: `expected "type" to be one of ${DEFINITION_TYPES.join(', ')}` },
);

export type DeploymentDefinition = z.output<typeof definitionSchema>;

const DEFINITION_KEYS: Record<DefinitionType, string[]> = {
  KUBERNETES: ['name', 'type', 'namespace', 'description'],
  GIT: ['name', 'type', 'repository', 'branch', 'path', 'description'],
  API: ['name', 'type', 'url', 'method', 'description'],
  GROUP: ['name', 'type', 'mode', 'children', 'description'],
};

export interface PatternFile {
  kind: TemplateKind;
  /** The template without `deployments`: a manifest.json or a pipeline.json. */
  template: Record<string, unknown>;
  deployments: DeploymentDefinition[];
}

/**
 * Validates a pattern file: a task or pipeline template plus a `deployments` list of definitions
 * (names unique; a GROUP's children must be other definitions of the file, without cycles).
 * Every problem comes back with its line.
 */
export function parsePatternFile(
  text: string,
  file: string,
): { ok: true; pattern: PatternFile } | { ok: false; problems: Problem[] } {
  const json = parseJsonSource(text, file);
  if (!json.ok) return json;
  const value = json.source.value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          column: 1,
          message: 'the file holds no JSON object; expected a task or pipeline template',
        },
      ],
    };
  }
  const { deployments: rawDeployments, ...template } = value as Record<string, unknown>;
  const kind: TemplateKind = Array.isArray(template.tasks) ? 'pipeline' : 'task';
  const problems: Problem[] = [];
  // The template is checked as the unit it is, with lines counted in this file.
  const templateText = JSON.stringify(template, null, 2);
  const checked =
    kind === 'task'
      ? parseTaskManifest(templateText, file)
      : parsePipelineConfig(templateText, file);
  if (!checked.ok)
    problems.push(
      ...checked.problems.map((p) => ({ ...p, ...(p.path ? lineOf(json.source, p.path) : {}) })),
    );
  const valid: { index: number; definition: DeploymentDefinition }[] = [];
  if (rawDeployments !== undefined && !Array.isArray(rawDeployments)) {
    problems.push({
      file,
      path: 'deployments',
      ...locate(json.source, ['deployments']),
      message: '"deployments" is not an array; expected a list of deployment definitions',
    });
  }
  // Each definition on its own, so one bad entry does not hide the checks of the others.
  (Array.isArray(rawDeployments) ? rawDeployments : []).forEach((raw: unknown, i) => {
    const type = (raw as { type?: unknown } | null)?.type;
    if (!DEFINITION_TYPES.includes(type as DefinitionType)) {
      const at = [
        'deployments',
        i,
        ...(raw && typeof raw === 'object' && 'type' in raw ? ['type'] : []),
      ];
      problems.push({
        file,
        path: `deployments[${i}].type`,
        ...locate(json.source, at),
        message: `"deployments[${i}].type" is ${JSON.stringify(type ?? null)}; expected one of ${DEFINITION_TYPES.join(', ')}`,
      });
      return;
    }
    const parsed = definitionSchema.safeParse(raw, { reportInput: true });
    if (parsed.success) valid.push({ index: i, definition: parsed.data });
    else {
      const shifted = parsed.error.issues.map((issue) => ({
        ...issue,
        path: ['deployments', i, ...issue.path],
      }));
      problems.push(
        ...issuesToProblems(shifted, json.source, {
          'deployments[]': DEFINITION_KEYS[type as DefinitionType],
        }),
      );
    }
  });
  problems.push(...definitionProblems(valid, file, json.source));
  const deployments = valid.map((v) => v.definition);
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, pattern: { kind, template, deployments } };
}

/** Line and column, in the pattern file, of a problem path like `env[0].value`. */
function lineOf(source: JsonSource, jsonPath: string) {
  const parts = jsonPath
    .split(/\.|\[(\d+)\]/)
    .filter((part): part is string => part !== undefined && part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return locate(source, parts);
}

function definitionProblems(
  entries: { index: number; definition: DeploymentDefinition }[],
  file: string,
  source: JsonSource,
): Problem[] {
  const definitions = entries.map((e) => e.definition);
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  entries.forEach(({ definition, index: i }) => {
    const earlier = names.get(definition.name);
    if (earlier !== undefined) {
      problems.push({
        file,
        path: `deployments[${i}].name`,
        ...locate(source, ['deployments', i, 'name']),
        message: `deployment "${definition.name}" is also defined by deployments[${earlier}]; expected unique names`,
      });
    } else names.set(definition.name, i);
  });
  const groups = new Map(
    definitions
      .filter((d) => d.type === 'GROUP')
      .map((d) => [d.name, d as Extract<DeploymentDefinition, { type: 'GROUP' }>]),
  );
  entries.forEach(({ definition, index: i }) => {
    if (definition.type !== 'GROUP') return;
    for (const child of definition.children) {
      if (child === definition.name)
        problems.push({
          file,
          path: `deployments[${i}].children`,
          ...locate(source, ['deployments', i, 'children']),
          message: `group "${definition.name}" contains itself`,
        });
      else if (!names.has(child)) {
        problems.push({
          file,
          path: `deployments[${i}].children`,
          ...locate(source, ['deployments', i, 'children']),
          message: `group "${definition.name}" names "${child}", which is not a deployment of this pattern`,
        });
      }
    }
  });
  // A group reaching itself through other groups.
  for (const [groupName] of groups) {
    const seen = new Set<string>();
    const stack = [...(groups.get(groupName)?.children ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (next === groupName) {
        problems.push({
          file,
          path: 'deployments',
          ...locate(source, ['deployments']),
          message: `group "${groupName}" contains itself through its children`,
        });
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(groups.get(next)?.children ?? []).filter((c) => c !== next));
    }
  }
  return problems;
}
