import type { JobContext, JobOutcome } from '../jobs/index.js';
import { redact, type SourceFetcher } from '../source/index.js';
import { loadPipelineFromGit, loadTaskFromGit } from './load-unit.js';

/** What a `CONFIG_LOAD` job reads: a task's manifest.json or a pipeline's pipeline.json. */
export interface ConfigLoadParams {
  unit: 'task' | 'pipeline';
  repository: string;
  directory: string;
  branch: string;
}

/**
 * The `CONFIG_LOAD` handler (DataTask's configuration loading): fetches the repository, validates
 * the unit's file and returns it as written, for a client to edit and send back to a
 * `with-configuration` route. An invalid file ends the job in ERROR with every problem.
 */
export async function loadConfiguration(
  context: JobContext,
  source: SourceFetcher,
): Promise<JobOutcome> {
  const params = context.job.params as unknown as ConfigLoadParams;
  const location = {
    repository: params.repository,
    directory: params.directory,
    branch: params.branch,
  };
  const loaded =
    params.unit === 'task'
      ? await loadTaskFromGit(source, location, context.signal)
      : await loadPipelineFromGit(source, location, context.signal);
  context.setCommit(loaded.checkout.commit);
  const file = params.unit === 'task' ? 'manifest.json' : 'pipeline.json';
  context.log(
    `loaded ${loaded.directory}/${file} from ${redact(params.repository)} at ${loaded.checkout.commit}`,
  );
  return {
    result: {
      configuration: loaded.raw as Record<string, unknown>,
      commit: loaded.checkout.commit,
      directory: loaded.directory,
    },
    message: `loaded ${file}`,
  };
}
