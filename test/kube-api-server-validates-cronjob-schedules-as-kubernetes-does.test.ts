import type { V1CronJob } from '@kubernetes/client-node';
import { PatchStrategy } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  failureOf,
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';

/**
 * A real API server parses a CronJob's schedule with robfig/cron's standard parser, and its
 * `timeZone` against the IANA database: what it refuses is a 422 naming `spec.schedule` (or
 * `spec.timeZone`) and the parser's own words. Croner, which the local runtime uses, reads more
 * (seconds, L, W, #, weekday 7); the test server must refuse those as a cluster would, or a
 * deploy that fails on a cluster passes here.
 */
let server: KubeApiServer;
let k: KubeClients;
beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: 'cron' } } });
});
afterAll(() => server.close());

function cronJob(name: string, schedule: string, timeZone?: string): V1CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'cron' },
    spec: {
      schedule,
      ...(timeZone === undefined ? {} : { timeZone }),
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1' }] },
          },
        },
      },
    },
  };
}

const apply = (object: V1CronJob) =>
  k.objects.patch(object, undefined, undefined, 'test', true, PatchStrategy.ServerSideApply);

it.each([
  ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
  ['0 0 L * *', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
  ['0 0 15W * *', 'failed to parse int from 15W: strconv.Atoi: parsing "15W": invalid syntax'],
  ['0 0 * * 1#2', 'failed to parse int from 1#2: strconv.Atoi: parsing "1#2": invalid syntax'],
  ['*/5 * * * * *', 'expected exactly 5 fields, found 6: [*/5 * * * * *]'],
  ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
  ['*/0 * * * *', 'step of range should be a positive number: */0'],
  ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
  ['TZ=UTC 0 0 * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
])('refuses the schedule %s with a 422 in the parser words', async (schedule, detail) => {
  const status = await failureOf(apply(cronJob('bad', schedule)));
  expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
  expect(status.message).toBe(
    `CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "${schedule}": ${detail}`,
  );
  expect(server.objects('cronjobs', 'cron')).toEqual([]);
});

it('takes what the parser reads: names, ?, ranges with steps, descriptors, @every', async () => {
  const schedules = [
    '*/15 * * * *',
    '0 9 * * MON-FRI',
    '0 0 1 jan,jul ?',
    '30 2 1-15/2 * sun',
    '5/10 * * * *',
    '@daily',
    '@every 1h30m',
  ];
  for (const [index, schedule] of schedules.entries()) {
    const made = await apply(cronJob(`ok-${index}`, schedule, 'Europe/Berlin'));
    expect((made as V1CronJob).spec?.schedule).toBe(schedule);
  }
  expect(server.objects('cronjobs', 'cron')).toHaveLength(schedules.length);
});

it('refuses a time zone outside the IANA database, and Local', async () => {
  for (const [timeZone, detail] of [
    ['Mars/Base', 'unknown time zone Mars/Base'],
    [
      'Local',
      'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    ],
    ['', 'timeZone must be nil or non-empty string'],
  ]) {
    const status = await failureOf(apply(cronJob('zoned', '0 0 * * *', timeZone)));
    expect(status.message).toBe(
      `CronJob.batch "zoned" is invalid: spec.timeZone: Invalid value: "${timeZone}": ${detail}`,
    );
  }
});
