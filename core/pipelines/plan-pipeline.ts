import {
  isServiceName,
  NAME_PATTERN,
  type PipelineConfig,
  parsePipelineConfig,
  type TaskManifest,
} from '../config/index.js';
import { type Problem, SlipwayError } from '../errors.js';
import type { SourceFetcher } from '../source/index.js';
import { defaultNamespace, loadPipelineFromGit, loadTaskFromGit } from '../tasks/load-unit.js';

/** A pipeline run as the DataTask routes ask for it (seed 001). */
export interface PipelineRunInput {
  repository: string | null;
  directory: string | null;
  /** Default `master`. */
  branch: string;
  /** Default: the repository name. */
  namespace: string | null;
  /** The name the pipeline runs under; default: the pipeline's own name. */
  name: string | null;
  /** A pipeline.json given in the request (`run/with-configuration`). */
  configuration: unknown;
  identity: string | null;
}

export interface PlannedPipelineTask {
  name: string;
  dependance: string[];
  runIfError: boolean;
  repository: string;
  directory: string;
  commit: string;
  manifest: TaskManifest;
  /** The workload the task runs as: `<run name>-<task name>`. */
  workload: string;
}

export interface PipelinePlan {
  namespace: string;
  name: string;
  pipeline: string;
  repository: string | null;
  directory: string | null;
  branch: string;
  commit: string | null;
  tasks: PlannedPipelineTask[];
}

/**
 * Resolves and validates a whole pipeline before anything runs: its `pipeline.json` (shape, names,
 * dependencies, cycles) and the `manifest.json` of every task, wherever it lives (`namespacetask`
 * may name another repository). Every problem of every file is reported at once.
 */
export async function planPipelineRun(
  source: SourceFetcher,
  input: PipelineRunInput,
): Promise<PipelinePlan> {
  let pipeline: PipelineConfig;
  let commit: string | null = null;
  let directory: string | null = null;
  if (
    input.configuration !== undefined &&
    input.configuration !== null &&
    input.configuration !== ''
  ) {
    pipeline = parseConfiguration(input.configuration);
  } else {
    if (!input.repository)
      throw new SlipwayError(
        'BAD_REQUEST',
        'a pipeline run needs a repository and directory, or a configuration',
      );
    const loaded = await loadPipelineFromGit(source, {
      repository: input.repository,
      directory: input.directory ?? '.',
      branch: input.branch,
    });
    pipeline = loaded.value;
    commit = loaded.checkout.commit;
    directory = loaded.directory;
  }
  const namespace =
    input.namespace ?? (input.repository ? defaultNamespace(input.repository) : null);
  if (!namespace)
    throw new SlipwayError('BAD_REQUEST', 'namespace is required when no repository is given');
  const name = input.name ?? pipeline.name;
  const problems: Problem[] = [];
  const tasks: PlannedPipelineTask[] = [];
  for (const task of pipeline.tasks) {
    const workload = `${name}-${task.name}`;
    if (workload.length > 63 || !NAME_PATTERN.test(workload)) {
      problems.push({
        path: `tasks.${task.name}`,
        message: `task "${task.name}" would run as "${workload}", longer than the 63 characters Kubernetes allows; use a shorter pipeline or task name`,
      });
      continue;
    }
    try {
      const loaded = await loadTaskFromGit(source, {
        repository: task.repository,
        directory: task.directory,
        branch: input.branch,
      });
      if (loaded.value.type === 'service' && !isServiceName(workload)) {
        problems.push({
          path: `tasks.${task.name}`,
          message: `task "${task.name}" is a service that would run as "${workload}", a Kubernetes Service name, which must start with a letter; give the run a name that does`,
        });
        continue;
      }
      tasks.push({
        name: task.name,
        dependance: task.dependance,
        runIfError: task.runIfError,
        repository: task.repository,
        directory: loaded.directory,
        commit: loaded.checkout.commit,
        manifest: loaded.value,
        workload,
      });
    } catch (error) {
      if (!(error instanceof SlipwayError)) throw error;
      const where = `task "${task.name}" (${task.namespacetask})`;
      if (error.problems.length > 0)
        problems.push(...error.problems.map((p) => ({ ...p, message: `${where}: ${p.message}` })));
      else problems.push({ path: `tasks.${task.name}`, message: `${where}: ${error.message}` });
    }
  }
  if (problems.length > 0) {
    throw new SlipwayError(
      'PIPELINE_INVALID',
      `pipeline "${pipeline.name}" cannot run: ${problems.map((p) => p.message).join('; ')}`,
      { problems },
    );
  }
  return {
    namespace,
    name,
    pipeline: pipeline.name,
    repository: input.repository,
    directory,
    branch: input.branch,
    commit,
    tasks,
  };
}

function parseConfiguration(configuration: unknown): PipelineConfig {
  const text =
    typeof configuration === 'string' ? configuration : JSON.stringify(configuration, null, 2);
  const parsed = parsePipelineConfig(text, 'configuration');
  if (!parsed.ok) {
    throw new SlipwayError(
      'PIPELINE_INVALID',
      `configuration is invalid: ${parsed.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`,
      {
        problems: parsed.problems,
      },
    );
  }
  return parsed.pipeline;
}
