import { describe, expect, it } from 'vitest';
import { checkRunUpdate } from '../app/github/check-run-update.js';
import type { GitHubOrigin } from '../app/github/origin.js';
import { testJob } from './helpers/jobs.js';

const origin: GitHubOrigin = {
  installationId: 1,
  repository: 'acme/shop',
  headSha: 'a'.repeat(40),
  kind: 'plan',
  checkName: 'Slipway plan / shop',
  environment: 'shop',
};

describe('the check run of a finished deploy or plan', () => {
  it('lists each workload with what was done to it, and why when only drift changed it', () => {
    const job = testJob({
      id: 'j-1',
      status: 'COMPLETE',
      endTime: '2026-11-30T12:00:00.000Z',
      result: {
        plan: true,
        namespace: 'shop',
        created: [{ kind: 'job', namespace: 'shop', name: 'migrate' }],
        changed: [
          { kind: 'deployment', namespace: 'shop', name: 'api' },
          {
            kind: 'deployment',
            namespace: 'shop',
            name: 'worker',
            drift: 'Deployment worker: metadata.labels.tier is "a|b", git says "c"',
          },
        ],
        unchanged: [{ kind: 'service', namespace: 'shop', name: 'web' }],
        pruned: [],
      },
    });
    const { body } = checkRunUpdate(job, 'COMPLETE', origin, () => [], []);
    expect(body.output.title).toBe('Would create 1, change 2, prune 0');
    expect(body.output.summary).toContain('| job | migrate | would be created |');
    expect(body.output.summary).toContain('| deployment | api | would change |');
    // A "|" of the value would end the table's cell.
    expect(body.output.summary).toContain(
      '| deployment | worker | would change (drifted from git: Deployment worker: metadata.labels.tier is "a\\|b", git says "c") |',
    );
    expect(body.output.summary).toContain('| service | web | unchanged |');
  });
});
