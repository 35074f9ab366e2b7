import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  type PipelineConfig,
  parsePipelineConfig,
  topologicalOrder,
} from '../core/config/index.js';

const FILE = 'pipelines/daily/pipeline.json';

/** `name` on line 2, `tasks` opens on line 3; each task object of two keys takes 4 lines. */
function pipeline(tasks: unknown[], extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name: 'daily', tasks, ...extra }, null, 2)}\n`;
}

function problems(text: string): string[] {
  const parsed = parsePipelineConfig(text, FILE);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems.map(formatProblem);
}

function valid(text: string): PipelineConfig {
  const parsed = parsePipelineConfig(text, FILE);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  return parsed.pipeline;
}

// The seed's shape: job1 -> job2, job3 -> job4.
const diamond = [
  { name: 'job1', namespacetask: 'repo/tasks/one' },
  { name: 'job2', namespacetask: 'repo/tasks/two', dependance: ['job1'] },
  { name: 'job3', namespacetask: 'other-repo/three', dependance: ['job1'] },
  {
    name: 'job4',
    namespacetask: 'repo/tasks/four',
    dependance: ['job2', 'job3'],
    'run-if-error': true,
  },
];

describe('pipeline.json validation', () => {
  it('accepts the diamond of the seed and orders it so every task follows what it waits for', () => {
    const parsed = valid(pipeline(diamond, { original: 'template.json' }));
    expect(parsed.name).toBe('daily');
    expect(parsed.original).toBe('template.json');
    expect(parsed.tasks[0]).toEqual({
      name: 'job1',
      namespacetask: 'repo/tasks/one',
      repository: 'repo',
      directory: 'tasks/one',
      dependance: [],
      runIfError: false,
    });
    expect(parsed.tasks[3]).toMatchObject({ dependance: ['job2', 'job3'], runIfError: true });
    expect(topologicalOrder(parsed).map((t) => t.name)).toEqual(['job1', 'job2', 'job3', 'job4']);
    // Written bottom-up, the order still puts each task after its dependencies.
    const reversed = valid(pipeline([...diamond].reverse()));
    expect(reversed.original).toBeNull();
    expect(topologicalOrder(reversed).map((t) => t.name)).toEqual(['job1', 'job3', 'job2', 'job4']);
  });

  it('splits namespacetask at the first slash only', () => {
    const tasks = valid(
      pipeline([
        { name: 'a', namespacetask: 'repo/a/b/c' },
        { name: 'b', namespacetask: 'repo/' },
        { name: 'c', namespacetask: 'my.repo_1/x' },
      ]),
    ).tasks;
    expect(tasks.map(({ repository, directory }) => ({ repository, directory }))).toEqual([
      { repository: 'repo', directory: 'a/b/c' },
      { repository: 'repo', directory: '.' },
      { repository: 'my.repo_1', directory: 'x' },
    ]);
  });

  it.each([
    'no-slash',
    '/dir',
    'repo/../x',
    'repo//abs',
    'repo/a\\b',
    ' /x',
    // A repository that is not a name in the repositories directory: a host, a path, an option.
    'git@127.0.0.1:x/tasks',
    'https:/x/tasks',
    '../repo/tasks',
    './tasks',
    '-oProxyCommand=x/tasks',
  ])('refuses the namespacetask %j', (namespacetask) => {
    expect(problems(pipeline([{ name: 'a', namespacetask }]))).toEqual([
      `${FILE}:6:24 "tasks[0].namespacetask" is ${JSON.stringify(namespacetask)}; expected "repository/directory": a repository name in the repositories directory, then the directory inside it`,
    ]);
  });

  it('refuses duplicate names, unknown and self dependencies, naming each at its line', () => {
    expect(
      problems(
        pipeline([
          { name: 'a', namespacetask: 'r/a' },
          { name: 'a', namespacetask: 'r/b' },
          { name: 'c', namespacetask: 'r/c', dependance: ['missing', 'c'] },
        ]),
      ),
    ).toEqual([
      `${FILE}:9:15 task name "a" is also used by tasks[0]; expected unique names`,
      `${FILE}:16:9 task "c" depends on "missing", which is not a task of this pipeline; expected one of a, c`,
      `${FILE}:17:9 task "c" depends on itself`,
    ]);
  });

  it('names a two-task cycle at the dependency that closes it', () => {
    expect(
      problems(
        pipeline([
          { name: 'a', namespacetask: 'r/a', dependance: ['b'] },
          { name: 'b', namespacetask: 'r/b', dependance: ['a'] },
        ]),
      ),
    ).toEqual([`${FILE}:8:9 cycle: a -> b -> a`]);
  });

  it('names a three-task cycle in the order the tasks would run, beside valid tasks', () => {
    // x waits for z, y for x, z for y: x -> y -> z -> x.
    const found = problems(
      pipeline([
        { name: 'free', namespacetask: 'r/free' },
        { name: 'x', namespacetask: 'r/x', dependance: ['z', 'free'] },
        { name: 'y', namespacetask: 'r/y', dependance: ['x'] },
        { name: 'z', namespacetask: 'r/z', dependance: ['y'] },
        { name: 'after', namespacetask: 'r/after', dependance: ['free'] },
      ]),
    );
    expect(found).toEqual([`${FILE}:12:9 cycle: x -> y -> z -> x`]);
  });

  it('reports every problem together: shape, duplicates, unknown names and cycles', () => {
    const found = problems(
      pipeline([
        { name: 'a', namespacetask: 'r/a', dependance: ['b'] },
        { name: 'b', namespacetask: 'r/b', dependance: ['a', 'ghost'] },
        { name: 'b', namespacetask: 'r/b2' },
      ]),
    );
    expect(found).toEqual([
      `${FILE}:8:9 cycle: a -> b -> a`,
      `${FILE}:16:9 task "b" depends on "ghost", which is not a task of this pipeline; expected one of a, b`,
      `${FILE}:20:15 task name "b" is also used by tasks[1]; expected unique names`,
    ]);
    const shape = problems(
      pipeline([{ name: 'A', namespacetask: 'r/a', 'run-if-error': 'yes', depends: [] }]),
    );
    expect(shape).toEqual([
      `${FILE}:5:15 "tasks[0].name" is "A"; expected lowercase letters, digits and '-', starting and ending with a letter or digit`,
      `${FILE}:7:23 "tasks[0].run-if-error" is "yes"; expected true or false`,
      `${FILE}:8:7 unknown key "depends"; expected one of name, namespacetask, dependance, run-if-error`,
    ]);
  });

  it('refuses a pipeline without tasks, without a name, or with unknown keys', () => {
    expect(problems(pipeline([]))).toEqual([
      `${FILE}:3:12 "tasks" is []; expected at least one task`,
    ]);
    expect(problems('{\n  "tasks": [{"name": "a", "namespacetask": "r/a"}]\n}')).toEqual([
      `${FILE}:1:1 "name" is missing; expected a string`,
    ]);
    expect(
      problems(pipeline([{ name: 'a', namespacetask: 'r/a' }], { schedule: '@daily' })),
    ).toEqual([`${FILE}:9:3 unknown key "schedule"; expected one of name, original, tasks`]);
    expect(problems('{"name": "p", "tasks": [],}')).toEqual([
      `${FILE}:1:27 invalid JSON: property name expected`,
    ]);
  });

  it('refuses to order a pipeline with a cycle', () => {
    const cyclic: PipelineConfig = {
      name: 'p',
      original: null,
      tasks: [
        {
          name: 'a',
          namespacetask: 'r/a',
          repository: 'r',
          directory: 'a',
          dependance: ['b'],
          runIfError: false,
        },
        {
          name: 'b',
          namespacetask: 'r/b',
          repository: 'r',
          directory: 'b',
          dependance: ['a'],
          runIfError: false,
        },
      ],
    };
    expect(() => topologicalOrder(cyclic)).toThrow(
      expect.objectContaining({
        code: 'PIPELINE_INVALID',
        message: expect.stringContaining('a, b'),
      }),
    );
  });
});
