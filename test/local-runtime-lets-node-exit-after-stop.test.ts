import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/local-runtime/harness.js';

describe('the local runtime after stop()', () => {
  it('leaves nothing that keeps Node alive', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/local-runtime/stop-and-exit.ts', tempDir()],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    let stoppedAt = 0;
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      if (!stoppedAt && out.includes('stopped')) stoppedAt = Date.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise((resolve) =>
      child.once('exit', (c, signal) => resolve(c ?? signal)),
    );
    clearTimeout(timer);
    // web, steady and long ran when stop() was called (crasher and tick come and go).
    expect(Number(/stopped (\d+)/.exec(out)?.[1])).toBeGreaterThanOrEqual(3);
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
  });
});
