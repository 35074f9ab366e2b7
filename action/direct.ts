import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
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
  let timedOut = false;
  try {
    const checkout = settings.run.checkout;
    // The commit the runner checked out: a branch may not exist there (pull requests).
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: checkout,
      encoding: 'utf8',
    }).trim();
    const { id, what } = await start(engine, settings, checkout, commit);
    sink.info(`${what}: job ${id} at ${commit.slice(0, 12)}`);
    const followed = await followJob(source(engine), id, sink, {
      timeoutMs: settings.timeoutMs,
      pollMs: 250,
    });
    timedOut = followed.timedOut;
    return jobOutcome(
      followed.job,
      `${process.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${settings.run.repository}/actions/runs/${process.env.GITHUB_RUN_ID ?? ''}`,
      what,
      timedOut,
      'in direct mode the deploy ends with this step: what it applied stays on the cluster as it is, and no one watches it',
    );
  } finally {
    // Stopping the engine would stop the deploy's running jobs, as a server stopping does
    // before it runs them again; at the timeout there is no again: the cluster keeps them.
    if (!timedOut) await engine.stop();
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
      stableWorkspaceId(settings.run.repository || checkout, name),
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

/**
 * The id a workspace of this repository and name has in every run of the step: its workloads
 * carry it, so the next run finds them its own (unchanged, or pruned once git drops them).
 * A UUID made of a SHA-256 of both, shaped as version 8 (RFC 9562, "custom").
 */
export function stableWorkspaceId(repository: string, name: string): string {
  const hex = createHash('sha256').update(`slipway-action\n${repository}\n${name}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
