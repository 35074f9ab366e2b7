import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './server.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON
  json: any;
}

/** Runs the real `slipway` command (bin/slipway.js) and collects what it prints. */
export async function slipway(
  args: string[],
  options: {
    env?: Record<string, string>;
    input?: string;
    cwd?: string;
    /** Hears the running command: to read its output as it comes, or to send it a signal. */
    onSpawn?: (child: ChildProcessWithoutNullStreams) => void;
  } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/slipway.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  options.onSpawn?.(child);
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}
