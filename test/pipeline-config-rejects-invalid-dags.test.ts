import { describe, expect, it } from 'vitest';
import { formatProblem, parsePipelineConfig, topologicalOrder } from '../core/config/index.js';

const FILE = 'pipelines/daily/pipeline.json';

function pipeline(tasks: unknown[], extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name: 'daily', tasks, ...extra }, null, 2)}\n`;
}

function problems(text: string): string[] {
  const parsed = parsePipelineConfig(text, FILE);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems.map(formatProblem);
}

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
  it('accepts the diamond of the seed and splits namespacetask into repository and directory', () => {
    const parsed = parsePipelineConfig(pipeline(diamond, { original: 'template.json' }), FILE);
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
    expect(parsed.pipeline.original).toBe('template.json');
    expect(parsed.pipeline.tasks[0]).toEqual({
      name: 'job1',
      namespacetask: 'repo/tasks/one',
      repository: 'repo',
      directory: 'tasks/one',
      dependance: [],
      runIfError: false,
    });
    expect(parsed.pipeline.tasks[3]?.runIfError).toBe(true);
    expect(topologicalOrder(parsed.pipeline).map((t) => t.name)).toEqual([
      'job1',
      'job2',
      'job3',
      'job4',
    ]);
  });

  it('refuses duplicate names, unknown and self dependencies, naming each at its line', () => {
    const found = problems(
      pipeline([
        { name: 'a', namespacetask: 'r/a' },
        { name: 'a', namespacetask: 'r/b' },
        { name: 'c', namespacetask: 'r/c', dependance: ['missing', 'c'] },
      ]),
    );
    expect(found).toEqual([
      `${FILE}:9:15 task name "a" is also used by tasks[0]; expected unique names`,
      `${FILE}:16:9 task "c" depends on "missing", which is not a task of this pipeline`,
      `${FILE}:17:9 task "c" depends on itself`,
    ]);
  });

  it('names two- and three-task cycles', () => {
    const two = problems(
      pipeline([
        { name: 'a', namespacetask: 'r/a', dependance: ['b'] },
        { name: 'b', namespacetask: 'r/b', dependance: ['a'] },
      ]),
    );
    expect(two).toEqual([expect.stringContaining('cycle: a -> b -> a')]);
    const three = problems(
      pipeline([
        { name: 'x', namespacetask: 'r/x', dependance: ['z'] },
        { name: 'y', namespacetask: 'r/y', dependance: ['x'] },
        { name: 'z', namespacetask: 'r/z', dependance: ['y'] },
        { name: 'free', namespacetask: 'r/free' },
      ]),
    );
    expect(three).toEqual([expect.stringContaining('cycle: x -> z -> y -> x')]);
  });

  it('refuses a bad shape: no tasks, a bad namespacetask, unknown keys', () => {
    expect(problems(pipeline([]))).toEqual([
      `${FILE}:3:12 "tasks" is []; expected at least one task`,
    ]);
    expect(problems(pipeline([{ name: 'a', namespacetask: 'no-slash' }]))).toEqual([
      `${FILE}:6:24 "tasks[0].namespacetask" is "no-slash"; expected "repository/directory"`,
    ]);
    expect(problems(pipeline([{ name: 'a', namespacetask: 'r/a', depends: ['b'] }]))).toEqual([
      `${FILE}:7:7 unknown key "depends"; expected one of name, namespacetask, dependance, run-if-error`,
    ]);
  });
});
