import { describe, expect, it } from 'vitest';
import {
  NOTIFICATION_TOPIC,
  type Notification,
  type NotifyOn,
  recordNotifications,
} from '../app/notify/record-notifications.js';
import { observeJobChanges } from '../core/jobs/index.js';
import { createMemoryStore } from '../core/store/memory.js';
import { isoTime, type Job, systemClock } from '../core/types.js';
import { PREVIEWS } from '../core/workspaces/index.js';
import { testJob } from './helpers/jobs.js';

/** A store that records notifications as the server's does, and a job that ran and ended. */
function setup(on: NotifyOn = 'failures') {
  const inner = createMemoryStore();
  const store = observeJobChanges(
    inner,
    recordNotifications(inner, systemClock, { on }, () => {}),
  );
  let n = 0;
  const ended = (fields: Partial<Job>): Notification | undefined => {
    n += 1;
    const id = `job-${n}`;
    store.insertJob(
      testJob({ id, created: isoTime(n * 1000), status: 'RUNNING', startTime: isoTime(n * 1000) }),
    );
    store.updateJob(id, { endTime: isoTime(n * 1000 + 500), ...fields });
    return inner.outboxOf(NOTIFICATION_TOPIC, id)[0]?.payload as Notification | undefined;
  };
  /** A job that started at `at` seconds and is still running: end it with `end`. */
  const started = (id: string, at: number) =>
    store.insertJob(
      testJob({
        id,
        created: isoTime(at * 1000),
        status: 'RUNNING',
        startTime: isoTime(at * 1000),
      }),
    );
  const end = (id: string, at: number, status: Job['status']) => {
    store.updateJob(id, { status, endTime: isoTime(at * 1000) });
    return inner.outboxOf(NOTIFICATION_TOPIC, id)[0]?.payload as Notification | undefined;
  };
  return { ended, started, end };
}

describe('which job ends are notified', () => {
  it('tells a job stopped at its time limit as a failure: it was stuck', () => {
    const { ended } = setup();
    const told = ended({ status: 'STOPPED', message: 'timed out after 1500 s' });
    expect(told).toMatchObject({ outcome: 'failed' });
    expect(told?.text).toBe('❌ Deploy of workspace demo (deleted) failed: timed out after 1500 s');
    // Withdrawn since (not an end of the kind), then a success: a recovery from the time-out.
    expect(ended({ status: 'STOPPED', message: 'withdrawn by alice' })).toBeUndefined();
    expect(ended({ status: 'COMPLETE' })).toMatchObject({ outcome: 'recovered' });
  });

  it('calls a success a recovery when the last run to end before it failed, whenever it began', () => {
    const { started, end } = setup();
    started('slow-run', 100);
    started('quick-run', 200);
    expect(end('quick-run', 250, 'COMPLETE')).toBeUndefined();
    expect(end('slow-run', 500, 'ERROR')).toMatchObject({ outcome: 'failed' });
    started('next-run', 300);
    expect(end('next-run', 600, 'COMPLETE')).toMatchObject({ outcome: 'recovered' });
  });

  it('leaves out superseded and held jobs, even with every end told', () => {
    const { ended } = setup('all');
    expect(
      ended({ status: 'STOPPED', message: 'superseded by job x (commit abc)' }),
    ).toBeUndefined();
    expect(
      ended({ status: 'STOPPED', message: 'not deployed: ...', params: { held: true } }),
    ).toBeUndefined();
    expect(ended({ status: 'STOPPED', message: 'withdrawn by alice' })).toMatchObject({
      outcome: 'stopped',
    });
  });

  it("puts only the message's first line in the chat's text, escaped, and cuts a long one", () => {
    const { ended } = setup();
    const told = ended({
      status: 'ERROR',
      message: `job 'x' failed: <!channel> & <https://evil.example|click> @here\nlast lines:\n${'y'.repeat(5000)}`,
    });
    expect(told?.text).toBe(
      "❌ Deploy of workspace demo (deleted) failed: job 'x' failed: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; @\u200bhere",
    );
    expect([...(told?.job?.message ?? '')]).toHaveLength(2000);
    expect(told?.job?.message?.endsWith('…')).toBe(true);
  });

  it("says of a pull request's preview which pull request of which workspace it deploys", () => {
    const inner = createMemoryStore();
    const store = observeJobChanges(
      inner,
      recordNotifications(inner, systemClock, { on: 'failures' }, () => {}),
    );
    const workspace = (id: string, name: string) => ({
      id,
      name,
      alias: name,
      repositoryUrl: 'acme/shop',
      branch: 'main',
      namespace: name,
      status: 'READY' as const,
      deploymentSecret: 'secret-0123456789abcdef',
      owner: null,
      timeoutSeconds: 600,
      created: isoTime(0),
      lastModified: isoTime(0),
      lastJobId: null,
      lastCommitId: null,
      lastDeployed: null,
    });
    inner.insertWorkspace(workspace('w-shop', 'shop'));
    inner.insertWorkspace({ ...workspace('w-preview', 'shop-pr-7'), branch: 'feature' });
    inner.putRecord(PREVIEWS, 'w-preview', 'w-shop', {
      workspaceId: 'w-preview',
      of: 'w-shop',
      pullRequest: 7,
      repository: 'acme/shop',
      created: isoTime(0),
      closed: null,
    });
    const fail = (id: string, workspaceId: string) => {
      store.insertJob(
        testJob({
          id,
          workspaceId,
          target: `workspace:${workspaceId}`,
          status: 'RUNNING',
          startTime: isoTime(1000),
        }),
      );
      store.updateJob(id, { status: 'ERROR', endTime: isoTime(2000), message: 'boom' });
      return inner.outboxOf(NOTIFICATION_TOPIC, id)[0]?.payload as Notification | undefined;
    };
    expect(fail('preview-job', 'w-preview')?.workspace).toEqual({
      id: 'w-preview',
      name: 'shop-pr-7',
      namespace: 'shop-pr-7',
      branch: 'feature',
      preview: { of: 'w-shop', pullRequest: 7 },
    });
    expect(fail('shop-job', 'w-shop')?.workspace?.preview).toBeNull();
  });
});
