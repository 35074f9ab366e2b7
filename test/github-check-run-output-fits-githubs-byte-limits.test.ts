import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRunUpdate } from '../app/github/check-run-update.js';
import type { GitHubOrigin } from '../app/github/origin.js';
import type { JobLogLine } from '../core/types.js';
import { testJob } from './helpers/jobs.js';
import { type Reporting, startReporting } from './helpers/outbox-sender.js';

const bytes = (text: string | null | undefined) => Buffer.byteLength(text ?? '', 'utf8');
// A surrogate half without its partner: what a cut between the two halves leaves.
const brokenPair = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const workloads = (n: number, drift: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'deployment',
    namespace: 'shop',
    name: `service-${String(i).padStart(3, '0')}`,
    drift: drift(i),
  }));

describe('check run output within GitHub’s 65535-byte limits', () => {
  let reporting: Reporting;
  beforeAll(async () => {
    reporting = await startReporting();
  });
  afterAll(async () => {
    await reporting?.close();
  });

  it('completes the check run of a deploy that changed 400 workloads, each with a long drift note', async () => {
    const changed = workloads(
      400,
      (i) => `spec.template.spec.containers[0].env[${i}] ${'x'.repeat(150)}`,
    );
    const job = reporting.deploy('COMPLETE', {
      result: { namespace: 'shop', changed, durationMs: 1200 },
    });
    const run = await reporting.completed(job);
    expect(run.conclusion).toBe('success');
    expect(run.output.title).toBe('0 created, 400 changed, 0 pruned in 1.2 s');
    expect(bytes(run.output.summary)).toBeLessThanOrEqual(65_535);
    expect(run.output.summary).toContain('| deployment | service-000 | changed (drifted from git:');
    // What could not be shown is said, and the job line at the end survives the cut.
    expect(run.output.summary).toMatch(/… \d+ more workloads not shown/);
    expect(run.output.summary).toMatch(new RegExp(`Slipway job \`${job.id}\`\\.$`));
  });

  it('counts bytes, not characters: non-ASCII drift notes, messages and logs fit too', async () => {
    // 400 rows of 80 two-byte and 20 four-byte characters: ~50,000 characters, ~90,000 bytes.
    const changed = workloads(400, () => `${'é'.repeat(80)}${'🚢'.repeat(20)}`);
    const logLines = Array.from({ length: 80 }, (_, i) => `${i} ${'日本語'.repeat(400)}`);
    const job = reporting.deploy('COMPLETE', { result: { namespace: 'shop', changed } }, logLines);
    const run = await reporting.completed(job);
    expect(run.conclusion).toBe('success');
    for (const field of [run.output.title, run.output.summary, run.output.text]) {
      expect(bytes(field)).toBeLessThanOrEqual(65_535);
      expect(field).not.toMatch(brokenPair);
    }
    expect(run.output.summary).toMatch(/… \d+ more workloads not shown/);

    const failed = reporting.deploy('ERROR', {
      message: `workload api never became healthy: ${'🚢'.repeat(30_000)}`,
    });
    const failedRun = await reporting.completed(failed);

    expect(failedRun.conclusion).toBe('failure');
    expect(bytes(failedRun.output.summary)).toBeLessThanOrEqual(65_535);
    expect(failedRun.output.summary).not.toMatch(brokenPair);
    expect(failedRun.output.summary).toContain('workload api never became healthy: 🚢🚢');
    expect(failedRun.output.summary).toContain(`Slipway job \`${failed.id}\`.`);
  });

  it('clips every field as a whole, at a code point, with a note that it was cut', () => {
    const origin: GitHubOrigin = {
      installationId: 1,
      repository: 'acme/shop',
      headSha: 'a'.repeat(40),
      kind: 'deploy',
      checkName: 'Slipway / shop',
      environment: 'shop',
    };
    const logs: JobLogLine[] = [{ sequence: 0, time: 't', line: '🚢'.repeat(20_000) }];
    for (const status of ['COMPLETE', 'ERROR', 'STOPPED'] as const) {
      // One character over in a character count would leave a broken pair; the bytes go far over.
      const job = testJob({
        id: 'j-1',
        status,
        message: `a${'🚢'.repeat(40_000)}`,
        result: {
          namespace: 'n'.repeat(70_000),
          changed: workloads(3, () => '🚢'.repeat(20_000)),
          problems: [{ file: 'tasks/a/manifest.json', line: 2, message: '🚢'.repeat(20_000) }],
        },
      });
      const { body } = checkRunUpdate(job, status, origin, () => logs, []);
      for (const field of [body.output.title, body.output.summary, body.output.text]) {
        expect(bytes(field), status).toBeLessThanOrEqual(65_535);
        expect(field, status).not.toMatch(brokenPair);
      }
      expect(body.output.summary, status).toContain('cut to fit');
      expect(body.output.text, status).toContain('cut to fit');
    }
  });
});
