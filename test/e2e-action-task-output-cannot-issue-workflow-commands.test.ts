import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, repoIn } from './fixtures/datatask.js';
import { runAction } from './helpers/action.js';
import type { TestRepo } from './helpers/git.js';
import { type ServerProcess, startServer } from './helpers/server.js';

/**
 * The lines of a step log the runner takes for workflow commands: those starting `::` outside
 * a `::stop-commands::TOKEN` ... `::TOKEN::` block, as the runner reads them.
 */
function commandsTheRunnerRuns(stdout: string): string[] {
  const commands: string[] = [];
  let stopped: string | undefined;
  for (const line of stdout.split('\n')) {
    const text = line.trimStart();
    if (stopped !== undefined) {
      if (text === `::${stopped}::`) stopped = undefined;
      continue;
    }
    if (!text.startsWith('::')) continue;
    const stop = /^::stop-commands::(.+)$/.exec(text);
    if (stop) stopped = stop[1];
    else commands.push(text);
  }
  return commands;
}

describe('the Action prints a task’s output as text, never as workflow commands', () => {
  let server: ServerProcess;
  let repo: TestRepo;

  beforeAll(async () => {
    const reposDir = mkdtempSync(path.join(os.tmpdir(), 'slipway-repos-'));
    repo = repoIn(reposDir, 'evil', {
      'tasks/evil/manifest.json': job('evil', {
        lines: ['::error::injected', '::add-mask::x', '<b>x</b> | pipe'],
        exitCode: 3,
      }),
    });
    server = await startServer({ reposDir });
    const ws = await server.api('POST', '/api/workspaces', {
      name: 'evil',
      repositoryUrl: 'evil',
      branch: 'master',
      namespace: 'evil',
    });
    expect(ws.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('streams the lines inside stop-commands blocks, with one-line and escaped summaries', async () => {
    const run = await runAction({
      command: 'deploy-workspace',
      'server-url': server.url,
      token: server.adminToken,
      workspace: 'evil',
    });
    expect(run.code, run.stdout).toBe(1);
    // The lines are in the log, as text: the task's own, and the server's "last lines:".
    expect(run.stdout).toContain('[evil] ::error::injected');
    expect(run.stdout).toMatch(/^::error::injected$/m);

    const commands = commandsTheRunnerRuns(run.stdout);
    expect(commands.filter((c) => c.startsWith('::error::injected'))).toEqual([]);
    expect(commands.filter((c) => c.startsWith('::add-mask::x'))).toEqual([]);
    // The step's own commands still work: its group, the token's mask, and its failure.
    expect(commands).toContain('::group::evil');
    expect(commands).toContain(`::add-mask::${server.adminToken}`);
    expect(commands.filter((c) => c.startsWith('::error::'))).toHaveLength(1);
    expect(commands.find((c) => c.startsWith('::error::'))).toMatch(/ended ERROR/);

    expect(run.outputs.status).toBe('ERROR');
    expect(run.outputs.summary).toBeTruthy();
    expect(run.outputs.summary).not.toMatch(/[\r\n]/);

    expect(run.summary).not.toContain('<b>x</b>');
    expect(run.summary).toContain('&lt;b&gt;x&lt;/b&gt; | pipe');
    expect(run.summary).toContain('::error::injected');
  });
});
