import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, parsePipelineConfig } from '../core/config/index.js';
import { planPipelineRun } from '../core/pipelines/index.js';
import { createGitSource } from '../core/source/index.js';

const FILE = 'pipelines/daily/pipeline.json';

function problems(value: unknown): string[] {
  const parsed = parsePipelineConfig(`${JSON.stringify(value, null, 2)}\n`, FILE);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems.map(formatProblem);
}

// The audit's pipeline: a cycle, an unknown dependency and a duplicate name beside two shape
// problems (a bad namespacetask, "run-if-error": "yes").
const audited = {
  name: 'daily',
  tasks: [
    { name: 'a', namespacetask: 'r/a', dependance: ['b'] },
    { name: 'b', namespacetask: 'r/b', dependance: ['a', 'ghost'] },
    { name: 'b', namespacetask: 'nothing-here' },
    { name: 'c', namespacetask: 'r/c', 'run-if-error': 'yes' },
  ],
};

describe('pipeline.json with shape problems', () => {
  it('still lists its cycles, unknown dependencies and duplicate names, each at its line', () => {
    expect(problems(audited)).toEqual([
      `${FILE}:8:9 cycle: a -> b -> a`,
      `${FILE}:16:9 task "b" depends on "ghost", which is not a task of this pipeline; expected one of a, b, c`,
      `${FILE}:20:15 task name "b" is also used by tasks[1]; expected unique names`,
      `${FILE}:21:24 "tasks[2].namespacetask" is "nothing-here"; expected "repository/directory": a repository name in the repositories directory, then the directory inside it`,
      `${FILE}:26:23 "tasks[3].run-if-error" is "yes"; expected true or false`,
    ]);
  });

  it('checks the tasks it can read and calls nothing unknown while a task has no name', () => {
    expect(
      problems({
        name: 'daily',
        tasks: [
          { name: 'a', namespacetask: 'r/a', dependance: ['a', 7] },
          { namespacetask: 'r/b', dependance: ['a'] },
          { name: 'c', namespacetask: 'r/c', dependance: ['b'] },
        ],
      }),
    ).toEqual([
      `${FILE}:8:9 task "a" depends on itself`,
      `${FILE}:9:9 "tasks[0].dependance[1]" is 7; expected a task name`,
      `${FILE}:12:5 "tasks[1].name" is missing; expected a string`,
    ]);
  });

  it('refuses such a pipeline passed as configuration with every problem', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-pipeline-shape-'));
    const source = createGitSource({ cacheDir: path.join(dir, 'checkouts'), reposDir: dir });
    const refused = planPipelineRun(source, {
      repository: null,
      directory: null,
      branch: 'master',
      namespace: 'flows',
      name: null,
      configuration: JSON.stringify(audited),
      identity: null,
    });
    await expect(refused).rejects.toMatchObject({ code: 'PIPELINE_INVALID' });
    const messages = await refused.catch((e: Error) => e.message);
    for (const part of [
      'cycle: a -> b -> a',
      'depends on "ghost"',
      'task name "b" is also used by tasks[1]',
      '"nothing-here"',
      '"yes"',
    ]) {
      expect(messages).toContain(part);
    }
  });
});
