import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Engine } from '../core/engine.js';
import { errorMessage } from '../core/errors.js';
import { followJob, type JobSource, type LogSink } from '../core/jobs/follow-job.js';
import { createKubernetesRuntime, loadKubeConfig } from '../core/runtime/kubernetes/index.js';
import { createGitSource } from '../core/source/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { type JobLogLine, silentLogger, systemClock } from '../core/types.js';
import { InputError, type Settings } from './inputs.js';
import { jobOutcome, type Outcome } from './outcome.js';

/**
 * Direct mode: Slipway's engine in the runner, with the memory store, against the cluster of
 * `kubeconfig`, deploying the checked-out repository at its checked-out commit. No server.
 */
export async function runDirect(
  settings: Settings & { mode: { kind: 'direct' } },
  sink: LogSink,
): Promise<Outcome> {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'slipway-action-'));
  const kubeconfigPath = path.join(temp, 'kubeconfig');
  writeFileSync(kubeconfigPath, settings.mode.kubeconfig, { mode: 0o600 });
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig({ path: kubeconfigPath, inCluster: false });
  } catch (error) {
    // The file is the step's own copy of the input: say what is wrong with the input.
    rmSync(temp, { recursive: true, force: true });
    const said = errorMessage(error).replace(/^KUBECONFIG is "[^"]*", /, '');
    const reason = said.replace(/^whose /, 'its ').replace(/^which /, 'it ');
    throw new InputError(
      `Input "kubeconfig" is not a usable kubeconfig (${reason}). Expected the kubeconfig itself (YAML or JSON, with clusters, users, contexts and a current-context) or the path of a file holding it`,
    );
  }
  const engine = createEngine({
    store: createMemoryStore(),
    runtime: createKubernetesRuntime({ kubeConfig }),
    source: createGitSource({
      cacheDir: path.join(temp, 'checkouts'),
      reposDir: path.dirname(settings.run.checkout),
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? temp },
    }),
    logger: silentLogger,
    clock: systemClock,
    workers: 2,
    scratchDir: path.join(temp, 'scratch'),
    orphans: 'all',
  });
  await engine.start();
  try {
    const checkout = settings.run.checkout;
    // The commit the runner checked out: a branch may not exist there (pull requests).
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: checkout,
      encoding: 'utf8',
    }).trim();
    const { id, what } = await start(engine, settings, checkout, commit);
    sink.info(`${what}: job ${id} at ${commit.slice(0, 12)}`);
    const { job, timedOut } = await followJob(source(engine), id, sink, {
      timeoutMs: settings.timeoutMs,
      pollMs: 250,
    });
    return jobOutcome(
      job,
      `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${settings.run.repository}/actions/runs/${process.env.GITHUB_RUN_ID ?? ''}`,
      what,
      timedOut,
    );
  } finally {
    await engine.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

async function start(
  engine: Engine,
  settings: Settings,
  checkout: string,
  commit: string,
): Promise<{ id: string; what: string }> {
  const repoName = settings.run.repository.split('/').at(-1) || path.basename(checkout);
  if (settings.command === 'deploy-workspace') {
    const name = settings.workspace ?? repoName;
    const workspace = engine.workspaces.create(
      {
        name,
        repositoryUrl: checkout,
        branch: commit,
        ...(settings.namespace ? { namespace: settings.namespace } : {}),
      },
      'github-action',
    );
    const { job } = engine.workspaces.deploy(workspace.id, {
      commitId: commit,
      plan: settings.dryRun,
      identity: 'github-action',
    });
    return { id: job.id, what: `${settings.dryRun ? 'plan of' : 'deploy of'} workspace ${name}` };
  }
  const common = {
    repository: checkout,
    directory: settings.directory,
    branch: commit,
    namespace: settings.namespace ?? null,
    name: settings.name ?? null,
    configuration: null,
    identity: 'github-action',
  };
  if (settings.command === 'deploy-task') {
    const { job, plan } = await engine.tasks.deploy({ ...common, schedule: null });
    return { id: job.id, what: `deploy of task ${plan.namespace}/${plan.name}` };
  }
  const { job, plan } = await engine.pipelines.run({
    ...common,
    name:
      settings.name ?? (settings.directory === '.' ? repoName : path.basename(settings.directory)),
  });
  return { id: job.id, what: `run of pipeline ${plan.name}` };
}

function source(engine: Engine): JobSource {
  const page = (sequence: number, lines: JobLogLine[]) => ({
    lines: lines.map((l) => l.line),
    next: (lines.at(-1)?.sequence ?? sequence - 1) + 1,
  });
  return {
    async job(id) {
      return engine.jobs.get(id);
    },
    async logs(id, sequence) {
      return page(sequence, engine.jobs.logs(id, sequence, 5000));
    },
    async awaitLogs(id, sequence, waitMs) {
      return page(sequence, await engine.jobs.awaitLogs(id, sequence, 5000, waitMs));
    },
  };
}
