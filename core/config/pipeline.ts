import { z } from 'zod';
import type { Problem } from '../errors.js';
import { type JsonSource, locate, parseJsonSource } from './json-source.js';
import { objectName } from './manifest.js';
import { issuesToProblems } from './problems.js';

/** A task of a pipeline: a task directory (`namespacetask: repo/dir`) and what it waits for. */
export interface PipelineTaskConfig {
  name: string;
  namespacetask: string;
  /** The repository part of `namespacetask` (before the first `/`). */
  repository: string;
  /** The directory part of `namespacetask` (after the first `/`). */
  directory: string;
  /** Tasks that must finish first. */
  dependance: string[];
  /** Runs even after another task of the pipeline failed. */
  runIfError: boolean;
}

/** A `pipeline.json` (DESIGN.md section 7.2): a DAG of tasks. */
export interface PipelineConfig {
  name: string;
  original: string | null;
  tasks: PipelineTaskConfig[];
}

export const PIPELINE_KEYS = ['name', 'original', 'tasks'] as const;
export const PIPELINE_TASK_KEYS = ['name', 'namespacetask', 'dependance', 'run-if-error'] as const;

/** The zod schema of `pipeline.json`; the DAG rules are checked after it. */
export const pipelineSchema = z.strictObject(
  {
    name: objectName,
    original: z.string({ error: 'expected a string' }).optional(),
    tasks: z
      .array(
        z.strictObject(
          {
            name: objectName,
            namespacetask: z
              .string({ error: 'expected a string "repository/directory"' })
              .regex(/^[^/\s]+\/[^\s]*$/, { error: 'expected "repository/directory"' }),
            dependance: z
              .array(z.string({ error: 'expected a task name' }), {
                error: 'expected an array of task names',
              })
              .optional(),
            'run-if-error': z.boolean({ error: 'expected true or false' }).optional(),
          },
          { error: 'expected an object {"name", "namespacetask", "dependance"?, "run-if-error"?}' },
        ),
        { error: 'expected an array of tasks' },
      )
      .min(1, { error: 'expected at least one task' }),
  },
  { error: 'expected a JSON object' },
);

/**
 * Validates a `pipeline.json`: its shape, then the DAG (duplicate names, unknown or self
 * dependencies, cycles), reporting every problem at its line.
 */
export function parsePipelineConfig(
  text: string,
  file: string,
): { ok: true; pipeline: PipelineConfig } | { ok: false; problems: Problem[] } {
  const json = parseJsonSource(text, file);
  if (!json.ok) return json;
  const parsed = pipelineSchema.safeParse(json.source.value, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(parsed.error.issues, json.source, {
        '': PIPELINE_KEYS,
        'tasks[]': PIPELINE_TASK_KEYS,
      }),
    };
  }
  const pipeline: PipelineConfig = {
    name: parsed.data.name,
    original: parsed.data.original ?? null,
    tasks: parsed.data.tasks.map((task) => {
      const slash = task.namespacetask.indexOf('/');
      return {
        name: task.name,
        namespacetask: task.namespacetask,
        repository: task.namespacetask.slice(0, slash),
        directory: task.namespacetask.slice(slash + 1) || '.',
        dependance: task.dependance ?? [],
        runIfError: task['run-if-error'] ?? false,
      };
    }),
  };
  const problems = dagProblems(pipeline, json.source);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, pipeline };
}

function dagProblems(pipeline: PipelineConfig, source: JsonSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: (string | number)[], message: string) =>
    problems.push({
      file: source.file,
      path: path
        .map((p) => (typeof p === 'number' ? `[${p}]` : p))
        .join('.')
        .replace(/\.\[/g, '['),
      ...locate(source, path),
      message,
    });
  const firstIndex = new Map<string, number>();
  pipeline.tasks.forEach((task, i) => {
    const earlier = firstIndex.get(task.name);
    if (earlier === undefined) firstIndex.set(task.name, i);
    else
      at(
        ['tasks', i, 'name'],
        `task name "${task.name}" is also used by tasks[${earlier}]; expected unique names`,
      );
  });
  pipeline.tasks.forEach((task, i) => {
    task.dependance.forEach((dependency, j) => {
      if (dependency === task.name)
        at(['tasks', i, 'dependance', j], `task "${task.name}" depends on itself`);
      else if (!firstIndex.has(dependency)) {
        at(
          ['tasks', i, 'dependance', j],
          `task "${task.name}" depends on "${dependency}", which is not a task of this pipeline`,
        );
      }
    });
  });
  for (const cycle of findCycles(pipeline)) {
    const index = firstIndex.get(cycle[0] as string) ?? 0;
    at(['tasks', index, 'dependance'], `cycle: ${cycle.join(' -> ')}`);
  }
  return problems;
}

/** Each dependency cycle once, as the path that closes it (`a -> b -> a`); self-loops excluded. */
function findCycles(pipeline: PipelineConfig): string[][] {
  const deps = new Map(
    pipeline.tasks.map((t) => [t.name, t.dependance.filter((d) => d !== t.name)]),
  );
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of deps.get(name) ?? []) {
      if (!deps.has(next)) continue;
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of deps.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * The tasks in an order where each comes after everything it depends on (for a valid pipeline).
 *
 * @example
 * topologicalOrder(diamond).map((t) => t.name) // ['job1', 'job2', 'job3', 'job4']
 */
export function topologicalOrder(pipeline: PipelineConfig): PipelineTaskConfig[] {
  const done = new Set<string>();
  const order: PipelineTaskConfig[] = [];
  while (order.length < pipeline.tasks.length) {
    const ready = pipeline.tasks.filter(
      (t) => !done.has(t.name) && t.dependance.every((d) => done.has(d)),
    );
    if (ready.length === 0) throw new Error(`pipeline ${pipeline.name} has a cycle`);
    for (const task of ready) {
      done.add(task.name);
      order.push(task);
    }
  }
  return order;
}
