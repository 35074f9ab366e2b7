import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './server.js';

export interface ActionRun {
  code: number | null;
  /** The step log: what the runner would show (workflow commands included). */
  stdout: string;
  outputs: Record<string, string>;
  /** The Markdown written to $GITHUB_STEP_SUMMARY. */
  summary: string;
  /** What the step saved for its post step (`STATE_*` for the next run). */
  state: Record<string, string>;
  /** The signal that ended the step, when `cancelWhen` cancelled it. */
  signal: NodeJS.Signals | null;
}

/**
 * Runs the committed bundle `action/dist/index.js` as a runner does: a node child process with
 * `INPUT_<NAME>` variables (upper case, hyphens kept), `GITHUB_EVENT_PATH`, and the
 * `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and `GITHUB_STATE` files; `state` is handed back as
 * `STATE_*` variables, as the runner does for the post step. `cancelWhen`: once the step log
 * matches it, the step is sent SIGINT, as the runner does when the workflow is cancelled.
 */
export async function runAction(
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>;
    state?: Record<string, string>;
    workspace?: string;
    cancelWhen?: RegExp;
  } = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-runner-'));
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary'),
    state: path.join(dir, 'state'),
    event: path.join(dir, 'event.json'),
  };
  for (const file of [files.output, files.summary, files.state]) writeFileSync(file, '');
  writeFileSync(
    files.event,
    JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } }),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REF_NAME: 'main',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: options.workspace ?? dir,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  const child = spawn(process.execPath, [path.join(ROOT, 'action/dist/index.js')], {
    cwd: options.workspace ?? dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let cancelled = false;
  const read = (chunk: Buffer) => {
    stdout += chunk;
    if (options.cancelWhen && !cancelled && options.cancelWhen.test(stdout)) {
      cancelled = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  return {
    code,
    signal,
    stdout,
    outputs: readKeyValues(files.output),
    summary: existsSync(files.summary) ? readFileSync(files.summary, 'utf8') : '',
    state: readKeyValues(files.state),
  };
}

/** `name<<DELIMITER\nvalue\nDELIMITER` entries, as @actions/core writes them. */
function readKeyValues(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  const values: Record<string, string> = {};
  const pattern = /^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) values[match[1] as string] = match[3] as string;
  return values;
}
