import { describe, expect, it } from 'vitest';
import { formatProblem, parseTaskManifest } from '../core/config/index.js';

const FILE = 'tasks/hello/manifest.json';
const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function problems(value: unknown): string[] {
  const parsed = parseTaskManifest(typeof value === 'string' ? value : text(value), FILE);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems.map(formatProblem);
}

describe('manifest.json validation', () => {
  it('accepts every documented key and returns them typed', () => {
    const parsed = parseTaskManifest(
      text({
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
      FILE,
    );
    expect(parsed).toEqual({
      ok: true,
      manifest: {
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
      },
    });
  });

  it('accepts a minimal job with a schedule', () => {
    const parsed = parseTaskManifest(
      text({ name: 'nightly', type: 'job', cmd: ['true'], schedule: '0 3 * * *' }),
      FILE,
    );
    expect(parsed.ok && parsed.manifest.schedule).toBe('0 3 * * *');
  });

  it('names the file, line and column, the value and what was expected', () => {
    expect(problems({ name: 'x', type: 'cronjob' })).toEqual([
      `${FILE}:3:11 "type" is "cronjob"; expected one of job, deployment, service`,
    ]);
  });

  it('reports every problem of the file at once, each at its own line', () => {
    const found = problems({
      name: 'Bad_Name',
      type: 'job',
      cmd: 'echo hi',
      env: [{ name: '1X', value: 3 }],
      replicas: -1,
      'container-port': 70000,
      'cpu-limit': 'lots',
      imagee: 'typo',
    });
    expect(found).toEqual([
      `${FILE}:2:11 "name" is "Bad_Name"; expected lowercase letters, digits and '-', starting and ending with a letter or digit`,
      `${FILE}:4:10 "cmd" is "echo hi"; expected an array of strings`,
      `${FILE}:7:15 "env[0].name" is "1X"; expected letters, digits and "_", not starting with a digit`,
      `${FILE}:8:16 "env[0].value" is 3; expected a string (quote numbers and booleans)`,
      `${FILE}:11:15 "replicas" is -1; expected 0 or more`,
      `${FILE}:12:21 "container-port" is 70000; expected a port from 1 to 65535`,
      `${FILE}:13:16 "cpu-limit" is "lots"; expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1G"`,
      `${FILE}:14:3 unknown key "imagee"; expected one of name, type, labels, image-destination, cmd, env, schedule, replicas, container-port, image-pull-policy, cpu-request, cpu-limit, memory-request, memory-limit, published`,
    ]);
  });

  it('requires name and type', () => {
    expect(problems({ cmd: ['true'] })).toEqual([
      `${FILE}:1:1 "name" is missing; expected a string`,
      `${FILE}:1:1 "type" is missing; expected one of job, deployment, service`,
    ]);
  });

  it('allows a schedule only on a job, and published only on a service', () => {
    expect(problems({ name: 'd', type: 'deployment', schedule: '* * * * *' })).toEqual([
      `${FILE}:4:15 "schedule" is set on a deployment; only a job can have a schedule (it becomes a cron job)`,
    ]);
    expect(problems({ name: 'j', type: 'job', published: { prefix: '/x' } })).toEqual([
      `${FILE}:4:16 "published" is set on a job; only a service can be published`,
    ]);
  });

  it('refuses an invalid cron expression, bad labels and unknown published keys', () => {
    const [cron] = problems({ name: 'j', type: 'job', schedule: 'every day' });
    expect(cron).toMatch(
      /^tasks\/hello\/manifest.json:4:15 "schedule" is "every day"; expected a cron expression/,
    );
    expect(problems({ name: 'j', type: 'job', labels: 'team' })).toEqual([
      `${FILE}:4:13 "labels" has "team"; expected key:value pairs separated by commas`,
    ]);
    const [label] = problems({ name: 'j', type: 'job', labels: 'team:has spaces' });
    expect(label).toContain(
      '"labels" value "has spaces" of "team" is not a valid Kubernetes label value',
    );
    expect(problems({ name: 's', type: 'service', published: { prefx: '/x' } })).toEqual([
      `${FILE}:5:5 unknown key "prefx"; expected one of access, prefix, rewrite, timeout_ms, sticky_sessions, bypass_auth`,
    ]);
  });

  it('points at the syntax error of invalid JSON, and refuses a top level that is not an object', () => {
    expect(problems('{\n  "name": "x",\n  "type": "job",\n}\n')).toEqual([
      `${FILE}:4:1 invalid JSON: property name expected`,
    ]);
    expect(problems('')).toEqual([`${FILE}:1:1 invalid JSON: the file is empty`]);
    expect(problems('[1]')).toEqual([`${FILE}:1:1 the file holds [1]; expected a JSON object`]);
    expect(problems('{ // comment\n}')[0]).toMatch(/^tasks\/hello\/manifest.json:1:3 invalid JSON/);
  });
});
