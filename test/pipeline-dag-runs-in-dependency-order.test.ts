import { describe, expect, it } from 'vitest';
import { type DagTask, executeDag, type TaskState } from '../core/pipelines/index.js';

interface Recorded {
  events: string[];
  states: Map<string, TaskState>;
}

function harness(behaviour: Record<string, { ms?: number; ok?: boolean; throws?: string }>) {
  const recorded: Recorded = { events: [], states: new Map() };
  return {
    recorded,
    callbacks: {
      run: (task: DagTask, signal: AbortSignal) =>
        new Promise<boolean>((resolve, reject) => {
          const spec = behaviour[task.name] ?? {};
          recorded.events.push(`start ${task.name}`);
          const timer = setTimeout(() => {
            recorded.events.push(`end ${task.name}`);
            if (spec.throws) reject(new Error(spec.throws));
            else resolve(spec.ok ?? true);
          }, spec.ms ?? 20);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            recorded.events.push(`stopped ${task.name}`);
            resolve(false);
          });
        }),
      changed: (name: string, state: TaskState) => recorded.states.set(name, state),
      now: () => new Date().toISOString(),
    },
  };
}

const task = (name: string, dependance: string[] = [], runIfError = false): DagTask => ({
  name,
  dependance,
  runIfError,
});
const DIAMOND = [
  task('job1'),
  task('job2', ['job1']),
  task('job3', ['job1']),
  task('job4', ['job2', 'job3']),
];

describe('the pipeline DAG executor', () => {
  it("runs the seed's diamond: job1, then job2 and job3 at the same time, then job4", async () => {
    const { recorded, callbacks } = harness({ job2: { ms: 60 }, job3: { ms: 60 } });
    const status = await executeDag(DIAMOND, callbacks, new AbortController().signal);
    expect(status).toBe('succeeded');
    const e = recorded.events;
    expect(e.indexOf('start job2')).toBeGreaterThan(e.indexOf('end job1'));
    expect(e.indexOf('start job3')).toBeLessThan(e.indexOf('end job2'));
    expect(e.indexOf('start job2')).toBeLessThan(e.indexOf('end job3'));
    expect(e.indexOf('start job4')).toBeGreaterThan(
      Math.max(e.indexOf('end job2'), e.indexOf('end job3')),
    );
    expect(
      [...recorded.states.values()].every(
        (s) => s.status === 'succeeded' && s.startTime && s.endTime,
      ),
    ).toBe(true);
  });

  it('after a failure runs only run-if-error tasks; the rest are skipped and the pipeline failed', async () => {
    const { recorded, callbacks } = harness({ extract: { ok: false } });
    const tasks = [
      task('extract'),
      task('load', ['extract']),
      task('notify', ['extract'], true),
      task('report', ['load']),
    ];
    expect(await executeDag(tasks, callbacks, new AbortController().signal)).toBe('failed');
    expect(Object.fromEntries([...recorded.states].map(([n, s]) => [n, s.status]))).toEqual({
      extract: 'failed',
      load: 'skipped',
      notify: 'succeeded',
      report: 'skipped',
    });
    expect(recorded.events).not.toContain('start load');
  });

  it('counts a task that throws as failed, with its message', async () => {
    const { recorded, callbacks } = harness({ a: { throws: 'image not found' } });
    expect(await executeDag([task('a')], callbacks, new AbortController().signal)).toBe('failed');
    expect(recorded.states.get('a')).toMatchObject({
      status: 'failed',
      message: 'image not found',
    });
  });

  it('stops running tasks on a kill and starts nothing more', async () => {
    const { recorded, callbacks } = harness({ job1: { ms: 5000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await executeDag(DIAMOND, callbacks, controller.signal)).toBe('killed');
    expect(recorded.events).toEqual(['start job1', 'stopped job1']);
    expect(recorded.states.get('job1')?.status).toBe('killed');
    expect(['job2', 'job3', 'job4'].map((n) => recorded.states.get(n)?.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
  });
});
