import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reporting, startReporting } from './helpers/outbox-sender.js';

describe('the log tail of a completed check run', () => {
  let reporting: Reporting;
  beforeAll(async () => {
    reporting = await startReporting();
  });
  afterAll(async () => {
    await reporting?.close();
  });

  it('shows the last 80 lines of a log of more than 100,000', async () => {
    const lines = Array.from({ length: 100_050 }, (_, i) => `line ${i}`);
    lines[lines.length - 1] = 'error: the disk is full';
    const job = reporting.deploy('ERROR', { message: 'workload api failed' }, lines);
    const run = await reporting.completed(job);
    const text = run.output.text ?? '';
    expect(text.startsWith('(last 80 lines)\n```\nline 99970\n')).toBe(true);
    expect(text.endsWith('line 100048\nerror: the disk is full\n```')).toBe(true);
  });

  it('keeps the end of the log and the closing fence when the lines are too long for GitHub', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `${i}: ${'é'.repeat(1000)}`);
    lines.push('Error: connect ECONNREFUSED 10.0.0.7:5432');
    const job = reporting.deploy('ERROR', { message: 'workload api failed' }, lines);
    const run = await reporting.completed(job);
    const text = run.output.text ?? '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65_535);
    expect(text).toMatch(/^\(the last 80 lines, their start cut to fit GitHub's limit/);
    expect(
      text.endsWith(`${'é'.repeat(1000)}\nError: connect ECONNREFUSED 10.0.0.7:5432\n\`\`\``),
    ).toBe(true);
    // The kept part starts at a line.
    expect(text.split('\n')[2]).toMatch(/^\d+: é+$/);
    expect(text).not.toContain('\n1: ');
  });
});
