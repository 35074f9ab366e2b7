/** Status of a pipeline task; `skipped` when an earlier failure or a kill meant it never ran. */
export type PipelineTaskStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'killed'
  | 'skipped';

/** Status of a pipeline run (DESIGN.md section 7.2). */
export type PipelineStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'killed';

export interface DagTask {
  name: string;
  dependance: string[];
  runIfError: boolean;
}

export interface TaskState {
  status: PipelineTaskStatus;
  startTime: string | null;
  endTime: string | null;
  message: string | null;
}

export interface DagCallbacks<T extends DagTask> {
  /** Runs one task; resolves true on success. It must stop when `signal` aborts. */
  run(task: T, signal: AbortSignal): Promise<boolean>;
  /** Called after every change of a task's state (to persist and report it). */
  changed(name: string, state: TaskState): void;
  now(): string;
}

const FINISHED: PipelineTaskStatus[] = ['succeeded', 'failed', 'killed', 'skipped'];

/**
 * Runs a pipeline's DAG (DESIGN.md section 7.2): a task starts once every task it depends on has
 * finished, independent branches run at the same time, and after a failure only `run-if-error`
 * tasks still start (the others are skipped). When `signal` aborts, running tasks are stopped
 * (`killed`) and nothing else starts. Resolves with the pipeline's status.
 *
 * @example
 * await executeDag(pipeline.tasks, { run: (task, signal) => runTask(task, signal), changed, now }, signal)
 */
export async function executeDag<T extends DagTask>(
  tasks: T[],
  callbacks: DagCallbacks<T>,
  signal: AbortSignal,
): Promise<PipelineStatus> {
  const states = new Map<string, TaskState>(
    tasks.map((t) => [
      t.name,
      { status: 'pending', startTime: null, endTime: null, message: null },
    ]),
  );
  const set = (name: string, patch: Partial<TaskState>) => {
    const state = { ...(states.get(name) as TaskState), ...patch };
    states.set(name, state);
    callbacks.changed(name, state);
  };
  const running = new Map<string, Promise<void>>();
  let failed = false;
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      if (!signal.aborted) {
        for (const task of tasks) {
          const state = states.get(task.name) as TaskState;
          if (state.status !== 'pending') continue;
          const depsDone = task.dependance.every((d) =>
            FINISHED.includes(states.get(d)?.status ?? 'pending'),
          );
          if (!depsDone) continue;
          if (failed && !task.runIfError) {
            set(task.name, {
              status: 'skipped',
              endTime: callbacks.now(),
              message: 'skipped: an earlier task failed',
            });
            continue;
          }
          set(task.name, { status: 'running', startTime: callbacks.now() });
          running.set(
            task.name,
            callbacks
              .run(task, controller.signal)
              .then(
                (ok) => ({ ok, message: ok ? null : 'failed' }),
                (error: unknown) => ({ ok: false, message: (error as Error).message }),
              )
              .then(({ ok, message }) => {
                if (controller.signal.aborted)
                  set(task.name, { status: 'killed', endTime: callbacks.now(), message: 'killed' });
                else {
                  if (!ok) failed = true;
                  set(task.name, {
                    status: ok ? 'succeeded' : 'failed',
                    endTime: callbacks.now(),
                    message,
                  });
                }
                running.delete(task.name);
              }),
          );
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    // What never started: a kill, or dependencies that can never finish.
    for (const task of tasks) {
      if (states.get(task.name)?.status === 'pending') {
        set(task.name, {
          status: 'skipped',
          endTime: callbacks.now(),
          message: signal.aborted ? 'skipped: the pipeline was killed' : 'skipped',
        });
      }
    }
  } finally {
    signal.removeEventListener('abort', abort);
  }
  if (signal.aborted) return 'killed';
  return failed ? 'failed' : 'succeeded';
}
