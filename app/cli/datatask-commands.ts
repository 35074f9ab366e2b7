import { type Command, type CommandContext, stringFlag } from './command.js';
import { printOrFollow, WAIT_OPTIONS, waitFlags } from './follow-job-logs.js';
import { UsageError } from './parse-args.js';

/** The flags naming where a unit is: `file` is the unit's file (manifest.json, pipeline.json). */
const sourceOptions = (file: string, example: string) => ({
  repository:
    "a repository's name in the server's SLIPWAY_REPOS_DIR, or owner/name on GitHub with the App (required; not a path or URL)",
  directory: `the directory of the ${file} in the repository, e.g. ${example} (required)`,
  branch: 'the branch to deploy (default master, as the DataTask API has it)',
});

/** A required flag with a value, as a URL path segment. */
function segment(options: Map<string, string | boolean>, name: string, command: string): string {
  const value = stringFlag(options, name);
  if (value === undefined) throw new UsageError(`${command} needs --${name}`);
  if (value === '') throw new UsageError(`--${name} needs a value`);
  if (value === '.' || value === '..') {
    const expected = name === 'directory' ? 'a named directory, such as tasks/hello' : 'a name';
    throw new UsageError(
      `--${name} is "${value}", which cannot travel in a URL path; expected ${expected}`,
    );
  }
  return encodeURIComponent(value);
}

/** The flags among `names` that were given, for a request body. */
function given(options: Map<string, string | boolean>, names: string[]): Record<string, string> {
  const body: Record<string, string> = {};
  for (const name of names) {
    const value = stringFlag(options, name);
    if (value !== undefined) body[name] = value;
  }
  return body;
}

/** `slipway task deploy`: a task directory of a repository, as DataTask's elaborate deploy. */
async function deployTask(context: CommandContext): Promise<number> {
  const { client, options } = context;
  const wait = waitFlags(options);
  const repository = segment(options, 'repository', 'task deploy');
  const directory = segment(options, 'directory', 'task deploy');
  const body = given(options, ['namespace', 'name', 'branch', 'schedule']);
  const answer = await client.request(
    'POST',
    `/v2/task/elaborate/deploy/${repository}/${directory}`,
    { body },
  );
  const task = answer.body as { id: string; namespace: string; name: string };
  return printOrFollow(context, task, `deploy of task ${task.namespace}/${task.name}`, wait);
}

/** `slipway pipeline run`: a pipeline.json of a repository, under a run name. */
async function runPipeline(context: CommandContext): Promise<number> {
  const { client, options } = context;
  const wait = waitFlags(options);
  const repository = segment(options, 'repository', 'pipeline run');
  const directory = segment(options, 'directory', 'pipeline run');
  const name = segment(options, 'name', 'pipeline run');
  const body = given(options, ['namespace', 'branch']);
  const answer = await client.request(
    'POST',
    `/v2/pipeline/elaborate/run/${repository}/${directory}/${name}`,
    { body },
  );
  const run = answer.body as { id: string; name: string; pipeline: string; namespace: string };
  const what = `run ${run.name} of pipeline ${run.pipeline} in ${run.namespace}`;
  return printOrFollow(context, run, what, wait);
}

/** DataTask's task deploy and pipeline run, from a repository directory. */
export const DATATASK_COMMANDS: Command[] = [
  {
    resource: 'task',
    action: 'deploy',
    summary:
      'deploy the task in a repository directory (its manifest.json); with --wait, until it is healthy',
    options: {
      ...sourceOptions('manifest.json', 'tasks/hello'),
      namespace: 'the namespace (default: the repository name)',
      name: "the task's name (default: the manifest's name)",
      schedule: 'a cron schedule: the job runs on it as a cron job',
      ...WAIT_OPTIONS,
    },
    booleans: ['wait'],
    example: 'slipway task deploy --repository flows --directory tasks/job1 --wait',
    run: deployTask,
  },
  {
    resource: 'pipeline',
    action: 'run',
    summary:
      'run the pipeline.json of a repository directory under a name; with --wait, until the run ends',
    options: {
      ...sourceOptions('pipeline.json', 'pipelines/nightly'),
      name: 'the run name: its tasks run as <name>-<task> (required)',
      namespace: 'the namespace (default: the repository name)',
      ...WAIT_OPTIONS,
    },
    booleans: ['wait'],
    example:
      'slipway pipeline run --repository flows --directory pipelines/diamond --name nightly --wait',
    run: runPipeline,
  },
];
