import { z } from 'zod';
import { type Problem, SlipwayError } from '../errors.js';
import { isRepositoryName } from '../source/repository.js';
import {
  duplicateKeyProblems,
  formatPath,
  type JsonPath,
  type JsonSource,
  locate,
  parseJsonSource,
} from './json-source.js';
import { objectName } from './manifest.js';
import { issuesToProblems, sortProblems } from './problems.js';

/** A task of a pipeline: a task directory (`namespacetask: repo/dir`) and what it waits for. */
export interface PipelineTaskConfig {
  /** RFC 1123 label, unique in the pipeline. */
  name: string;
  /** `repository/directory` as written. */
  namespacetask: string;
  /** The part of `namespacetask` before the first `/`. */
  repository: string;
  /** The part after the first `/` (may hold more slashes); `.` when empty. */
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

/** The keys `pipeline.json` may have. */
export const PIPELINE_KEYS = ['name', 'original', 'tasks'] as const;
/** The keys a task of `pipeline.json` may have. */
export const PIPELINE_TASK_KEYS = ['name', 'namespacetask', 'dependance', 'run-if-error'] as const;

const NAMESPACETASK =
  'expected "repository/directory": a repository name in the repositories directory, then the directory inside it';

/** The zod schema of `pipeline.json`; the DAG rules are checked after it. */
export const pipelineSchema = z.strictObject(
  {
    name: objectName,
    original: z.string({ error: 'expected a string' }).nullish(),
    tasks: z
      .array(
        z.strictObject(
          {
            name: objectName,
            namespacetask: z
              .string({ error: 'expected a string "repository/directory"' })
              .refine(isNamespacetask, { error: NAMESPACETASK }),
            dependance: z
              .array(z.string({ error: 'expected a task name' }), {
                error: 'expected an array of task names',
              })
              .nullish(),
            'run-if-error': z.boolean({ error: 'expected true or false' }).nullish(),
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
 * Validates a `pipeline.json`: its shape, then the DAG (duplicate task names, unknown or self
 * dependencies, cycles), returning every problem at its line, in the order of the file.
 *
 * @example
 * const parsed = parsePipelineConfig(text, 'pipelines/daily/pipeline.json');
 * if (parsed.ok) topologicalOrder(parsed.pipeline);
 */
export function parsePipelineConfig(
  text: string,
  file: string,
): { ok: true; pipeline: PipelineConfig } | { ok: false; problems: Problem[] } {
  const json = parseJsonSource(text, file);
  if (!json.ok) return json;
  const duplicates = duplicateKeyProblems(json.source);
  const parsed = pipelineSchema.safeParse(json.source.value, { reportInput: true });
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues, json.source, {
      '': PIPELINE_KEYS,
      'tasks[]': PIPELINE_TASK_KEYS,
    });
    // DESIGN.md 4: every problem at once, so the DAG is checked on whatever tasks parsed too.
    const dag = dagProblems(dagEntries(json.source.value), json.source);
    return { ok: false, problems: sortProblems([...duplicates, ...problems, ...dag]) };
  }
  const pipeline: PipelineConfig = {
    name: parsed.data.name,
    original: parsed.data.original ?? null,
    tasks: parsed.data.tasks.map((task) => {
      const { repository, directory } = splitNamespacetask(task.namespacetask);
      return {
        name: task.name,
        namespacetask: task.namespacetask,
        repository,
        directory,
        dependance: task.dependance ?? [],
        runIfError: task['run-if-error'] ?? false,
      };
    }),
  };
  const problems = sortProblems([...duplicates, ...dagProblems(pipeline.tasks, json.source)]);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, pipeline };
}

/**
 * Splits `namespacetask` at its first `/`.
 *
 * @example
 * splitNamespacetask('repo/tasks/one') // { repository: 'repo', directory: 'tasks/one' }
 */
export function splitNamespacetask(value: string): { repository: string; directory: string } {
  const slash = value.indexOf('/');
  return { repository: value.slice(0, slash), directory: value.slice(slash + 1) || '.' };
}

/**
 * `repository/directory`, the repository by its name in the repositories directory only: a
 * pipeline must not make the server read another directory or connect to another host (a path
 * or a git URL here would, even from a pipeline sent as a request's configuration).
 */
function isNamespacetask(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 1 || !isRepositoryName(value.slice(0, slash))) return false;
  const directory = value.slice(slash + 1);
  return (
    !directory.startsWith('/') &&
    !directory.includes('\\') &&
    !directory.includes('\0') &&
    !directory.split('/').includes('..')
  );
}

/** What the DAG checks need of a task; `name` null when it has none usable (a shape problem). */
interface DagEntry {
  name: string | null;
  /** As in the file, so that positions stay right; null for an entry that is not a string. */
  dependance: (string | null)[];
}

/**
 * The tasks of a `pipeline.json` that failed its schema, read as far as they go, in file order:
 * a task that is not an object, or has no string name, keeps its place with a null name.
 */
function dagEntries(value: unknown): DagEntry[] {
  const tasks = (value as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.map((task: unknown) => {
    const fields =
      task !== null && typeof task === 'object' ? (task as Record<string, unknown>) : {};
    const dependance = Array.isArray(fields.dependance) ? fields.dependance : [];
    return {
      name: typeof fields.name === 'string' ? fields.name : null,
      dependance: dependance.map((d: unknown) => (typeof d === 'string' ? d : null)),
    };
  });
}

function dagProblems(tasks: DagEntry[], source: JsonSource): Problem[] {
  const problems: Problem[] = [];
  const at = (path: JsonPath, message: string) =>
    problems.push({ file: source.file, path: formatPath(path), ...locate(source, path), message });
  const index = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (task.name === null) return;
    const earlier = index.get(task.name);
    if (earlier === undefined) index.set(task.name, i);
    else {
      at(
        ['tasks', i, 'name'],
        `task name "${task.name}" is also used by tasks[${earlier}]; expected unique names`,
      );
    }
  });
  // With a task whose name is unknown, a dependency on it cannot be told from a typo.
  const allNamed = tasks.every((task) => task.name !== null);
  const known = [...index.keys()].join(', ');
  tasks.forEach((task, i) => {
    task.dependance.forEach((dependency, j) => {
      if (dependency === null || task.name === null) return;
      if (dependency === task.name) {
        at(['tasks', i, 'dependance', j], `task "${task.name}" depends on itself`);
      } else if (!index.has(dependency) && allNamed) {
        at(
          ['tasks', i, 'dependance', j],
          `task "${task.name}" depends on "${dependency}", which is not a task of this pipeline; expected one of ${known}`,
        );
      }
    });
  });
  for (const { cycle, task, dependency } of findCycles(tasks, index)) {
    const i = index.get(task) ?? 0;
    const j = tasks[i]?.dependance.indexOf(dependency) ?? 0;
    at(['tasks', i, 'dependance', j], `cycle: ${cycle.join(' -> ')}`);
  }
  return problems;
}

/**
 * Each dependency cycle once, in the order the tasks would run (`a -> b` = b waits for a),
 * found by a depth-first walk from the tasks in file order. `task` waits for `dependency` on the
 * edge that closes the cycle. Self and unknown dependencies are reported apart and left out.
 */
function findCycles(
  tasks: DagEntry[],
  index: Map<string, number>,
): { cycle: string[]; task: string; dependency: string }[] {
  const dependents = new Map<string, string[]>([...index.keys()].map((name) => [name, []]));
  for (const [name, i] of index) {
    for (const dependency of tasks[i]?.dependance ?? []) {
      if (dependency !== null && dependency !== name && index.has(dependency))
        dependents.get(dependency)?.push(name);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: { cycle: string[]; task: string; dependency: string }[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of dependents.get(name) ?? []) {
      if (state.get(next) === 'visiting') {
        cycles.push({
          cycle: [...stack.slice(stack.indexOf(next)), next],
          task: next,
          dependency: name,
        });
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of index.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * The tasks of a valid pipeline in an order where each comes after everything it depends on;
 * tasks that could run at once keep the order of the file. Throws PIPELINE_INVALID on a cycle
 * or an unknown dependency (`parsePipelineConfig` refuses those first).
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
    if (ready.length === 0) {
      const stuck = pipeline.tasks.filter((t) => !done.has(t.name)).map((t) => t.name);
      throw new SlipwayError(
        'PIPELINE_INVALID',
        `pipeline "${pipeline.name}" cannot order ${stuck.join(', ')}: they wait for a cycle or an unknown task`,
      );
    }
    for (const task of ready) {
      done.add(task.name);
      order.push(task);
    }
  }
  return order;
}
