import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  parseTaskManifest,
  TASK_MANIFEST_KEYS,
  type TaskManifest,
} from '../core/config/index.js';
import type { Problem } from '../core/errors.js';

const FILE = 'tasks/hello/manifest.json';
/** Pretty-printed as people write them: `name` on line 2, `type` on 3, the next key on 4. */
const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function problemsOf(value: unknown): Problem[] {
  const parsed = parseTaskManifest(typeof value === 'string' ? value : text(value), FILE);
  if (parsed.ok) throw new Error(`expected problems, got ${JSON.stringify(parsed.manifest)}`);
  return parsed.problems;
}
const problems = (value: unknown) => problemsOf(value).map(formatProblem);

function manifestOf(value: unknown): TaskManifest {
  const parsed = parseTaskManifest(text(value), FILE);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
  return parsed.manifest;
}

const QUANTITY = 'expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1G"';
const CRON =
  'expected a cron expression of 5 fields (or 6 with seconds) such as "*/5 * * * *", or @hourly, @daily, @weekly, @monthly, @yearly';

describe('manifest.json validation', () => {
  it('accepts every documented key and returns them typed', () => {
    expect(
      manifestOf({
        name: 'web',
        type: 'service',
        labels: 'team:data, tier:frontend',
        'image-destination': 'registry.example.com/web:1.0',
        cmd: ['node', 'server.js'],
        env: [{ name: 'MODE', value: 'prod' }],
        schedule: '',
        replicas: 2,
        'container-port': 8081,
        'image-pull-policy': 'IfNotPresent',
        'cpu-request': '100m',
        'cpu-limit': '0.5',
        'memory-request': '128Mi',
        'memory-limit': '1G',
        published: {
          access: 'public',
          prefix: '/web',
          rewrite: '/',
          timeout_ms: 3000,
          sticky_sessions: true,
          bypass_auth: false,
        },
      }),
    ).toEqual({
      name: 'web',
      type: 'service',
      labels: { team: 'data', tier: 'frontend' },
      imageDestination: 'registry.example.com/web:1.0',
      cmd: ['node', 'server.js'],
      env: [{ name: 'MODE', value: 'prod' }],
      schedule: null,
      replicas: 2,
      containerPort: 8081,
      imagePullPolicy: 'IfNotPresent',
      cpuRequest: '100m',
      cpuLimit: '0.5',
      memoryRequest: '128Mi',
      memoryLimit: '1G',
      published: {
        access: 'public',
        prefix: '/web',
        rewrite: '/',
        timeoutMs: 3000,
        stickySessions: true,
        bypassAuth: false,
      },
    });
  });

  it('fills what a minimal manifest leaves out, and treats null and blank schedules as unset', () => {
    const empty = {
      labels: {},
      imageDestination: null,
      cmd: null,
      env: [],
      schedule: null,
      replicas: null,
      containerPort: null,
      imagePullPolicy: null,
      cpuRequest: null,
      cpuLimit: null,
      memoryRequest: null,
      memoryLimit: null,
      published: null,
    };
    expect(manifestOf({ name: 'a', type: 'deployment' })).toEqual({
      name: 'a',
      type: 'deployment',
      ...empty,
    });
    expect(
      manifestOf({ name: 'a', type: 'job', schedule: '   ', replicas: null, labels: null }),
    ).toMatchObject({ schedule: null, replicas: null, labels: {} });
  });

  it.each([
    [{ schedule: '0 3 * * *' }, '0 3 * * *'],
    [{ schedule: '0 */5 * * * *' }, '0 */5 * * * *'],
    [{ schedule: '@daily' }, '@daily'],
    [{ schedule: ' 0 3 * * MON-FRI ' }, '0 3 * * MON-FRI'],
  ])('accepts the schedule of %j on a job', (extra, schedule) => {
    expect(manifestOf({ name: 'nightly', type: 'job', ...extra }).schedule).toBe(schedule);
  });

  it('parses labels: several pairs, spaces trimmed, prefixed keys, empty values', () => {
    expect(
      manifestOf({ name: 'a', type: 'job', labels: ' team : data ,example.com/tier:batch,x:, ' })
        .labels,
    ).toEqual({ team: 'data', 'example.com/tier': 'batch', x: '' });
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ name: 5 }, 'name', '2:11 "name" is 5; expected a string'],
    [
      { name: 'x'.repeat(64) },
      'name',
      `2:11 "name" is "${'x'.repeat(64)}"; expected at most 63 characters`,
    ],
    [
      { name: 'Web_1' },
      'name',
      `2:11 "name" is "Web_1"; expected lowercase letters, digits and '-', starting and ending with a letter or digit`,
    ],
    [
      { type: 'cronjob' },
      'type',
      '3:11 "type" is "cronjob"; expected one of job, deployment, service',
    ],
    [
      { labels: 5 },
      'labels',
      '4:13 "labels" is 5; expected a string like "team:data" or "team:data,tier:batch"',
    ],
    [
      { labels: 'team' },
      'labels',
      '4:13 "labels" has "team"; expected key:value pairs separated by commas',
    ],
    [{ labels: 'a:b, a:c' }, 'labels', '4:13 "labels" has the key "a" twice; expected each once'],
    [
      { labels: 'team:has spaces' },
      'labels',
      `4:13 "labels" value "has spaces" of "team" is not a valid Kubernetes label value; expected at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
    ],
    [
      { labels: '-team:x' },
      'labels',
      `4:13 "labels" key "-team" is not a valid Kubernetes label key; expected [prefix/]name, the name at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`,
    ],
    [
      { labels: 'Example.com/x:y' },
      'labels',
      '4:13 "labels" key "Example.com/x" has the prefix "Example.com", which is not a valid Kubernetes label key prefix; expected a lowercase DNS subdomain such as "example.com"',
    ],
    [
      { labels: 'team:x, slipway.dev/workspace:other' },
      'labels',
      '4:13 "labels" key "slipway.dev/workspace" is one Slipway sets itself, to know who deployed a workload; expected a key other than app.kubernetes.io/managed-by and outside slipway.dev/',
    ],
    [
      { labels: 'app.kubernetes.io/managed-by:me' },
      'labels',
      '4:13 "labels" key "app.kubernetes.io/managed-by" is one Slipway sets itself, to know who deployed a workload; expected a key other than app.kubernetes.io/managed-by and outside slipway.dev/',
    ],
    [
      { 'image-destination': 3 },
      'image-destination',
      '4:24 "image-destination" is 3; expected a string',
    ],
    [{ cmd: 'echo hi' }, 'cmd', '4:10 "cmd" is "echo hi"; expected an array of strings'],
    [{ cmd: [] }, 'cmd', '4:10 "cmd" is []; expected at least the program to run'],
    [{ cmd: [1] }, 'cmd[0]', '5:5 "cmd[0]" is 1; expected a string'],
    [{ env: {} }, 'env', '4:10 "env" is {}; expected an array of {"name": ..., "value": ...}'],
    [
      { env: ['A=1'] },
      'env[0]',
      '5:5 "env[0]" is "A=1"; expected an object {"name": ..., "value": ...}',
    ],
    [
      { env: [{ name: '1X', value: 'v' }] },
      'env[0].name',
      '6:15 "env[0].name" is "1X"; expected letters, digits and "_", not starting with a digit',
    ],
    [
      { env: [{ name: 'A', value: 3 }] },
      'env[0].value',
      '7:16 "env[0].value" is 3; expected a string (quote numbers and booleans)',
    ],
    [
      { env: [{ name: 'A', value: true }] },
      'env[0].value',
      '7:16 "env[0].value" is true; expected a string (quote numbers and booleans)',
    ],
    [
      { env: [{ name: 'A' }] },
      'env[0].value',
      '5:5 "env[0].value" is missing; expected a string (quote numbers and booleans)',
    ],
    [
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ],
      },
      'env[1].name',
      '10:15 "env[1].name" is "A" again; expected each variable once',
    ],
    [
      { schedule: 5 },
      'schedule',
      '4:15 "schedule" is 5; expected a cron expression string ("" for none)',
    ],
    [{ schedule: 'every day' }, 'schedule', `4:15 "schedule" is "every day"; ${CRON}`],
    [{ schedule: '* * * *' }, 'schedule', `4:15 "schedule" is "* * * *"; ${CRON}`],
    [{ schedule: '0 0 0 * * * *' }, 'schedule', `4:15 "schedule" is "0 0 0 * * * *"; ${CRON}`],
    [{ schedule: '@reboot' }, 'schedule', `4:15 "schedule" is "@reboot"; ${CRON}`],
    [
      { schedule: '61 * * * *' },
      'schedule',
      `4:15 "schedule" is "61 * * * *"; ${CRON} (Invalid value for minute: 61)`,
    ],
    [{ type: 'deployment', replicas: -1 }, 'replicas', '4:15 "replicas" is -1; expected 0 or more'],
    [
      { type: 'deployment', replicas: 1.5 },
      'replicas',
      '4:15 "replicas" is 1.5; expected a whole number',
    ],
    [
      { type: 'deployment', replicas: '2' },
      'replicas',
      '4:15 "replicas" is "2"; expected a whole number',
    ],
    [
      { type: 'deployment', 'container-port': 0 },
      'container-port',
      '4:21 "container-port" is 0; expected a port from 1 to 65535',
    ],
    [
      { type: 'deployment', 'container-port': 70000 },
      'container-port',
      '4:21 "container-port" is 70000; expected a port from 1 to 65535',
    ],
    [
      { 'image-pull-policy': 'always' },
      'image-pull-policy',
      '4:24 "image-pull-policy" is "always"; expected one of Always, IfNotPresent, Never',
    ],
    [
      { 'cpu-request': 100 },
      'cpu-request',
      '4:18 "cpu-request" is 100; expected a string such as "100m", "0.5", "128Mi" or "1G"',
    ],
    [{ 'cpu-request': '-1' }, 'cpu-request', `4:18 "cpu-request" is "-1"; ${QUANTITY}`],
    [{ 'cpu-limit': 'lots' }, 'cpu-limit', `4:16 "cpu-limit" is "lots"; ${QUANTITY}`],
    [
      { 'memory-request': '128MB' },
      'memory-request',
      `4:21 "memory-request" is "128MB"; ${QUANTITY}`,
    ],
    [{ 'memory-limit': '1 Gi' }, 'memory-limit', `4:19 "memory-limit" is "1 Gi"; ${QUANTITY}`],
    [
      { 'cpu-request': '2', 'cpu-limit': '500m' },
      'cpu-request',
      '4:18 "cpu-request" is "2", more than "cpu-limit" "500m"; expected a request at most its limit',
    ],
    [
      { 'memory-request': '1Gi', 'memory-limit': '1G' },
      'memory-request',
      '4:21 "memory-request" is "1Gi", more than "memory-limit" "1G"; expected a request at most its limit',
    ],
  ])('refuses %j at %s', (extra, path, expected) => {
    const found = problemsOf({ name: 'task', type: 'job', ...extra });
    expect(found.map(formatProblem)).toEqual([`${FILE}:${expected}`]);
    expect(found[0]).toMatchObject({ file: FILE, path });
  });

  it('checks every key of published on a service', () => {
    expect(
      problems({
        name: 'web',
        type: 'service',
        published: {
          prefix: 'web',
          timeout_ms: 0,
          sticky_sessions: 'yes',
          bypass_auth: 1,
          access: 3,
        },
      }),
    ).toEqual([
      `${FILE}:5:15 "published.prefix" is "web"; expected a path starting with "/"`,
      `${FILE}:6:19 "published.timeout_ms" is 0; expected more than 0`,
      `${FILE}:7:24 "published.sticky_sessions" is "yes"; expected true or false`,
      `${FILE}:8:20 "published.bypass_auth" is 1; expected true or false`,
      `${FILE}:9:15 "published.access" is 3; expected a string`,
    ]);
    expect(problems({ name: 'web', type: 'service', published: 'yes' })).toEqual([
      `${FILE}:4:16 "published" is "yes"; expected an object`,
    ]);
  });

  it('allows a schedule only on a job, and published only on a service', () => {
    expect(problems({ name: 'd', type: 'deployment', schedule: '* * * * *' })).toEqual([
      `${FILE}:4:15 "schedule" is set on a deployment; only a job can have a schedule (it becomes a cron job)`,
    ]);
    expect(problems({ name: 's', type: 'service', schedule: '@daily' })).toEqual([
      `${FILE}:4:15 "schedule" is set on a service; only a job can have a schedule (it becomes a cron job)`,
    ]);
    expect(problems({ name: 'j', type: 'job', published: { prefix: '/x' } })).toEqual([
      `${FILE}:4:16 "published" is set on a job; only a service can be published`,
    ]);
    expect(problems({ name: 'd', type: 'deployment', published: {} })).toEqual([
      `${FILE}:4:16 "published" is set on a deployment; only a service can be published`,
    ]);
    // A job runs once, in one process, and listens on nothing: these would do nothing.
    expect(problems({ name: 'j', type: 'job', replicas: 3, 'container-port': 8080 })).toEqual([
      `${FILE}:4:15 "replicas" is set on a job; a job runs once, in one process`,
      `${FILE}:5:21 "container-port" is set on a job; only a service or a deployment listens on a port`,
    ]);
    expect(
      manifestOf({ name: 'd', type: 'deployment', replicas: 2, 'container-port': 9000 }),
    ).toMatchObject({ replicas: 2, containerPort: 9000 });
    // A service's name is its Service's too, a DNS-1035 label: a job's or deployment's need not be.
    expect(problems({ name: '9web', type: 'service' })).toEqual([
      `${FILE}:2:11 "name" is "9web"; a service's name is its Kubernetes Service's, which must start with a letter`,
    ]);
    expect(manifestOf({ name: '9job', type: 'job' }).name).toBe('9job');
    expect(problems({ name: 'a'.repeat(53), type: 'job', schedule: '@daily' })).toEqual([
      `${FILE}:2:11 "name" is 53 characters long; a job with a schedule (a cron job) may have at most 52`,
    ]);
  });

  it('names each unknown key at the key, with the keys it expected', () => {
    expect(problems({ name: 'x', type: 'job', imagee: 'typo', command: ['x'] })).toEqual([
      `${FILE}:4:3 unknown key "imagee"; expected one of ${TASK_MANIFEST_KEYS.join(', ')}`,
      `${FILE}:5:3 unknown key "command"; expected one of ${TASK_MANIFEST_KEYS.join(', ')}`,
    ]);
    expect(TASK_MANIFEST_KEYS.join(', ')).toBe(
      'name, type, labels, image-destination, cmd, env, schedule, replicas, container-port, image-pull-policy, cpu-request, cpu-limit, memory-request, memory-limit, published',
    );
    expect(problems({ name: 's', type: 'service', published: { prefx: '/x' } })).toEqual([
      `${FILE}:5:5 unknown key "prefx"; expected one of access, prefix, rewrite, timeout_ms, sticky_sessions, bypass_auth`,
    ]);
    expect(
      problemsOf({ name: 'j', type: 'job', env: [{ name: 'A', value: '1', vaule: '2' }] }),
    ).toEqual([
      {
        file: FILE,
        path: 'env[0].vaule',
        line: 8,
        column: 7,
        message: 'unknown key "vaule"; expected one of name, value',
      },
    ]);
  });

  it('reports every problem of the file at once, in file order, each at its own line', () => {
    expect(
      problems({
        name: 'Bad_Name',
        type: 'deployment',
        cmd: 'echo hi',
        env: [{ name: '1X', value: 3 }],
        schedule: '@daily',
        replicas: -1,
        'container-port': 70000,
        'cpu-limit': 'lots',
        imagee: 'typo',
      }),
    ).toEqual([
      `${FILE}:2:11 "name" is "Bad_Name"; expected lowercase letters, digits and '-', starting and ending with a letter or digit`,
      `${FILE}:4:10 "cmd" is "echo hi"; expected an array of strings`,
      `${FILE}:7:15 "env[0].name" is "1X"; expected letters, digits and "_", not starting with a digit`,
      `${FILE}:8:16 "env[0].value" is 3; expected a string (quote numbers and booleans)`,
      `${FILE}:11:15 "schedule" is set on a deployment; only a job can have a schedule (it becomes a cron job)`,
      `${FILE}:12:15 "replicas" is -1; expected 0 or more`,
      `${FILE}:13:21 "container-port" is 70000; expected a port from 1 to 65535`,
      `${FILE}:14:16 "cpu-limit" is "lots"; ${QUANTITY}`,
      `${FILE}:15:3 unknown key "imagee"; expected one of ${TASK_MANIFEST_KEYS.join(', ')}`,
    ]);
  });

  it('requires name and type, pointing at the object that lacks them', () => {
    expect(problemsOf({ cmd: ['true'] })).toEqual([
      {
        file: FILE,
        path: 'name',
        line: 1,
        column: 1,
        message: '"name" is missing; expected a string',
      },
      {
        file: FILE,
        path: 'type',
        line: 1,
        column: 1,
        message: '"type" is missing; expected one of job, deployment, service',
      },
    ]);
  });

  it('points at the syntax error of invalid JSON, once', () => {
    expect(problems('{\n  "name": "x",\n  "type": "job",\n}\n')).toEqual([
      `${FILE}:4:1 invalid JSON: property name expected`,
    ]);
    expect(problems('{\n  "name": "x", // a comment\n  "type": "job"\n}')).toEqual([
      `${FILE}:2:16 invalid JSON: invalid comment token`,
    ]);
    expect(problems('{\n  "name": "x"\n  "type": "job"\n}')).toEqual([
      `${FILE}:3:3 invalid JSON: comma expected`,
    ]);
    expect(problems("{'name': 'x'}")).toEqual([`${FILE}:1:2 invalid JSON: invalid symbol`]);
    expect(problems('')).toEqual([`${FILE}:1:1 invalid JSON: the file is empty`]);
  });

  it('reads a file that starts with a byte order mark, at the same lines and columns', () => {
    const json = '{\n  "name": "bom",\n  "type": "job",\n  "cmd": ["true"]\n}\n';
    const read = parseTaskManifest(`\uFEFF${json}`, FILE);
    expect(read.ok && read.manifest.name).toBe('bom');
    expect(problems(`\uFEFF${json.replace('"job"', '"jbo"')}`)).toEqual([
      `${FILE}:3:11 "type" is "jbo"; expected one of job, deployment, service`,
    ]);
  });

  it('refuses a top level that is not an object, and a key given twice', () => {
    expect(problems('[1]')).toEqual([`${FILE}:1:1 the file holds [1]; expected a JSON object`]);
    expect(problems('null')).toEqual([`${FILE}:1:1 the file holds null; expected a JSON object`]);
    expect(problems('{\n  "name": "a",\n  "type": "job",\n  "name": "b"\n}')).toEqual([
      `${FILE}:4:3 key "name" appears again (first at line 2); expected each key once`,
    ]);
  });
});
