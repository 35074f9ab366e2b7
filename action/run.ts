import * as core from '@actions/core';
import { errorMessage, isSlipwayError } from '../core/errors.js';
import { runDirect } from './direct.js';
import { InputError, kubeconfigSecrets, parseInputs, type Settings } from './inputs.js';
import type { Outcome } from './outcome.js';
import { runRemote } from './remote.js';
import { RemoteClient, RemoteError } from './remote-client.js';
import { stepLog } from './step-log.js';

const JOB_STATE = 'job-id';
const SERVER_STATE = 'server-url';

/**
 * The Action's main step: parse the inputs once, run the command remotely or in the runner, set
 * the outputs and the job summary, and fail the step (the only `setFailed`) when it did not
 * succeed.
 */
export async function run(): Promise<void> {
  const sink = stepLog();
  // Before anything can fail: a post step that finds no `main-ran` runs the main step itself.
  core.saveState('main-ran', 'true');
  // The job the step waits on, once it has one: a step that fails while waiting (the job was
  // deleted, the server refused a read) still says which job it was.
  let waitedOn: { id: string; url: string } | undefined;
  try {
    const settings = parseInputs((name) => core.getInput(name), process.env);
    if (settings.mode.kind === 'remote') core.setSecret(settings.mode.token);
    else for (const secret of kubeconfigSecrets(settings.mode.kubeconfig)) core.setSecret(secret);
    let outcome: Outcome;
    try {
      outcome =
        settings.mode.kind === 'remote'
          ? await runRemote(settings as Settings & { mode: { kind: 'remote' } }, sink, {
              // The runner reads the saved state when the step ends, cancelled or not, and keeps
              // the last value saved under a name: the post step sees a job id only when the
              // step was still waiting on that job.
              waiting: (id, url) => {
                waitedOn = { id, url };
                core.saveState(JOB_STATE, id);
                core.saveState(SERVER_STATE, (settings.mode as { serverUrl: string }).serverUrl);
              },
              over: () => core.saveState(JOB_STATE, ''),
            })
          : await runDirect(settings as Settings & { mode: { kind: 'direct' } }, sink);
    } finally {
      // The step's own commands (outputs, the failure) must not land in a stop-commands block.
      sink.close();
    }
    core.setOutput('job-id', outcome.jobId);
    core.setOutput('status', outcome.status);
    core.setOutput('url', outcome.url);
    core.setOutput('summary', outcome.summary);
    await writeSummary(outcome);
    if (outcome.failure) core.setFailed(outcome.failure);
  } catch (error) {
    if (waitedOn) {
      core.setOutput('job-id', waitedOn.id);
      core.setOutput('url', waitedOn.url);
    }
    // The engine's own errors (direct mode) say what is wrong: no stack for those either.
    const known =
      error instanceof InputError || error instanceof RemoteError || isSlipwayError(error);
    core.setFailed(
      known ? (error as Error).message : `Slipway failed: ${(error as Error).stack ?? error}`,
    );
    // The summary says why too, where a run's readers look first (no stack: the log has it).
    await writeFailureSummary(known ? (error as Error).message : errorMessage(error)).catch(
      () => {},
    );
  }
}

/** The job summary of a step that failed before it had a job to report. */
async function writeFailureSummary(message: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading('Slipway: failed', 3)
    .addRaw(`<p>${escapeHtml(message)}</p>\n\n`, true)
    .write();
}

/**
 * The post step: when the workflow was cancelled while the main step waited on a job, withdraw
 * the job so the deploy stops too. A job the step did not wait on (`wait: false`), or stopped
 * waiting on (it ended, or the timeout passed), goes on; a job that ended is left alone.
 */
export async function post(): Promise<void> {
  const id = core.getState(JOB_STATE);
  const server = core.getState(SERVER_STATE);
  if (!id || !server) return;
  try {
    const client = new RemoteClient(server, core.getInput('token'));
    const { body } = await client.request('GET', `/api/jobs/${encodeURIComponent(id)}`);
    if (body.status !== 'QUEUED' && body.status !== 'RUNNING') return;
    await client.request('PUT', `/api/jobs/${encodeURIComponent(id)}/stopped`);
    core.warning(`withdrew Slipway job ${id}: the workflow stopped before it ended`);
  } catch (error) {
    core.warning(`could not withdraw Slipway job ${id}: ${(error as Error).message}`);
  }
}

async function writeSummary(outcome: Outcome): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  // @actions/core puts text into the summary's HTML as it is: what a server or a task said is
  // escaped, and the message sits in HTML blocks, where Markdown is not read either.
  const summary = core.summary
    .addHeading(escapeHtml(`Slipway: ${outcome.title}`), 3)
    .addRaw(`<p>${escapeHtml(outcome.summary)}</p>\n\n`, true);
  if (outcome.details) summary.addRaw(`<pre>${escapeHtml(outcome.details)}</pre>\n\n`, true);
  if (outcome.rows.length > 0) {
    summary.addTable([
      [
        { data: 'kind', header: true },
        { data: 'name', header: true },
        { data: 'what happened', header: true },
        { data: 'details', header: true },
      ],
      ...outcome.rows.map((row) => row.map(escapeHtml)),
    ]);
  }
  if (outcome.url) summary.addLink(escapeHtml(`Job ${outcome.jobId}`), escapeHtml(outcome.url));
  await summary.write();
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
