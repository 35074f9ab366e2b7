import { isoTime, type Job } from '../../core/types.js';

/**
 * A job as the store keeps it, QUEUED and never run, with `overrides` on top: the one fixture the
 * store tests build their jobs from.
 */
export function testJob(overrides: Partial<Job> & Pick<Job, 'id'>): Job {
  return {
    created: isoTime(0),
    type: 'WORKSPACE_DEPLOY',
    status: 'QUEUED',
    attempt: 0,
    maxAttempts: 3,
    startTime: null,
    endTime: null,
    exitCode: null,
    commitId: null,
    message: null,
    target: 'workspace:demo',
    workspaceId: null,
    params: {},
    result: null,
    progress: null,
    deliveryId: null,
    identity: null,
    runAfter: 0,
    leaseOwner: null,
    leaseExpires: null,
    updated: isoTime(0),
    ...overrides,
  };
}
