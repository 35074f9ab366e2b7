import { statSync } from 'node:fs';
import { Cron } from 'croner';
import { type Problem, SlipwayError } from '../../errors.js';
import type { Workload } from '../types.js';

/** Why the local runtime could never run `workload`: it runs `cmd`, never an image. */
export function localCannotRun(workload: Workload): string | null {
  if (workload.command && workload.command.length > 0 && workload.command[0]) return null;
  return 'has no command ("cmd"); the local runtime runs cmd and cannot run an image';
}

/**
 * Checks that the local runtime can run every workload, all before any starts: a command, an
 * existing directory to run it in, a valid schedule for cron jobs, sane replicas and port, and
 * no workload twice. Throws one BAD_REQUEST listing every problem.
 */
export function validateWorkloads(workloads: Workload[]): void {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const workload of workloads) {
    const key = `${workload.namespace}/${workload.name}`;
    const report = (message: string) =>
      problems.push({ path: key, message: `${describe(workload)} ${message}` });
    if (seen.has(key)) report('is given twice in one apply');
    seen.add(key);
    const unrunnable = localCannotRun(workload);
    if (unrunnable) report(unrunnable);
    const directory = directoryProblem(workload.workdir);
    if (directory) report(directory);
    if (workload.kind === 'cronjob') {
      const schedule = scheduleProblem(workload.schedule);
      if (schedule) report(schedule);
    }
    if (!Number.isInteger(workload.replicas) || workload.replicas < 0) {
      report(`has replicas ${workload.replicas}; expected a whole number >= 0`);
    }
    if (
      workload.port !== null &&
      !(Number.isInteger(workload.port) && workload.port > 0 && workload.port < 65_536)
    ) {
      report(`has port ${workload.port}; expected 1-65535`);
    }
  }
  if (problems.length === 0) return;
  throw new SlipwayError('BAD_REQUEST', problems.map((p) => p.message).join('; '), {
    problems,
    details: { workloads: [...new Set(problems.map((p) => p.path))] },
  });
}

function describe(workload: Workload): string {
  return `${workload.kind} '${workload.name}' in namespace '${workload.namespace}'`;
}

function directoryProblem(workdir: string | null): string | null {
  if (!workdir) return 'has no working directory (workdir) to run its command in';
  try {
    return statSync(workdir).isDirectory()
      ? null
      : `has workdir ${workdir}, which is not a directory`;
  } catch {
    return `has workdir ${workdir}, which does not exist`;
  }
}

function scheduleProblem(schedule: string | null): string | null {
  if (!schedule) return 'is a cron job without a schedule';
  try {
    new Cron(schedule, { paused: true, timezone: 'UTC' }).stop();
    return null;
  } catch (error) {
    return `has schedule "${schedule}", which is not a cron expression: ${(error as Error).message}`;
  }
}
