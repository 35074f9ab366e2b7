import { describe, expect, it } from 'vitest';
import {
  kubernetesProblem,
  renderObjects,
  SPEC_HASH_ANNOTATION,
} from '../core/runtime/kubernetes/index.js';
import { LABELS, type Workload } from '../core/runtime/types.js';
import { specHash } from '../core/tasks/index.js';
import type { Json } from './helpers/server.js';

function workload(overrides: Partial<Omit<Workload, 'specHash'>>): Workload {
  const base: Omit<Workload, 'specHash'> = {
    kind: 'job',
    namespace: 'demo',
    name: 'etl',
    labels: {
      [LABELS.managedBy]: 'slipway',
      [LABELS.task]: 'etl',
      [LABELS.workspace]: 'ws-1',
      team: 'data',
    },
    image: 'registry.example.com/etl:1.2',
    imagePullPolicy: 'IfNotPresent',
    command: ['python', 'run.py'],
    env: [{ name: 'MODE', value: 'full' }],
    schedule: null,
    replicas: 1,
    port: null,
    resources: { cpuRequest: '100m', memoryLimit: '256Mi' },
    published: null,
    workdir: '/cache/abc/tasks/etl',
    source: { repository: 'demo', commit: 'a'.repeat(40), directory: 'tasks/etl', digest: 'd' },
    ...overrides,
  };
  return { ...base, specHash: specHash(base) };
}

describe('rendering workloads as Kubernetes objects', () => {
  it('makes a job a batch/v1 Job that runs once, with labels, env, resources and the spec hash', () => {
    const job = workload({});
    const [object] = renderObjects(job) as [Json];
    expect(object).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'etl', namespace: 'demo' },
    });
    expect(object.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'slipway',
      'slipway.dev/task': 'etl',
      'slipway.dev/workspace': 'ws-1',
      team: 'data',
      'slipway.dev/kind': 'job',
    });
    expect(object.metadata.annotations).toEqual({ [SPEC_HASH_ANNOTATION]: job.specHash });
    expect(object.spec.backoffLimit).toBe(0);
    expect(object.spec.template.metadata.labels).toMatchObject({
      'slipway.dev/task': 'etl',
      'app.kubernetes.io/managed-by': 'slipway',
    });
    expect(object.spec.template.spec).toEqual({
      restartPolicy: 'Never',
      containers: [
        {
          name: 'task',
          image: 'registry.example.com/etl:1.2',
          imagePullPolicy: 'IfNotPresent',
          command: ['python', 'run.py'],
          env: [{ name: 'MODE', value: 'full' }],
          resources: { requests: { cpu: '100m' }, limits: { memory: '256Mi' } },
        },
      ],
    });
  });

  it('makes a scheduled job a CronJob that never overlaps', () => {
    const [object] = renderObjects(workload({ kind: 'cronjob', schedule: '0 3 * * *' })) as [Json];
    expect(object).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC' },
    });
    expect(object.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('makes a deployment an apps/v1 Deployment selecting on the task label only', () => {
    const [object] = renderObjects(workload({ kind: 'deployment', replicas: 3 })) as [Json];
    expect(object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { replicas: 3, selector: { matchLabels: { 'slipway.dev/task': 'etl' } } },
    });
    expect(object.spec.template.spec.containers[0].ports).toBeUndefined();
    expect(object.spec.template.spec.containers[0].readinessProbe).toBeUndefined();
  });

  it('makes a service a Deployment with probes on /health plus a Service, on 8080 by default', () => {
    const objects = renderObjects(workload({ kind: 'service' })) as Json[];
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    const container = objects[0]?.spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.readinessProbe).toMatchObject({
      httpGet: { path: '/health', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 5,
    });
    expect(container.livenessProbe).toMatchObject({
      httpGet: { path: '/health', port: 'http' },
      initialDelaySeconds: 30,
    });
    expect(objects[1]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Service',
      spec: {
        selector: { 'slipway.dev/task': 'etl' },
        ports: [{ port: 8080, targetPort: 'http' }],
      },
    });
    expect(objects[1]?.metadata.annotations).toBeUndefined();
  });

  it('publishes a service with an Ingress on its prefix', () => {
    const objects = renderObjects(
      workload({
        kind: 'service',
        port: 9000,
        published: {
          prefix: '/etl',
          rewrite: '/',
          timeoutMs: 30_000,
          stickySessions: true,
          access: 'public',
        },
      }),
    ) as Json[];
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Ingress']);
    const ingress = objects[2];
    expect(ingress?.spec.rules[0].http.paths[0]).toEqual({
      path: '/etl',
      pathType: 'Prefix',
      backend: { service: { name: 'etl', port: { name: 'http' } } },
    });
    expect(ingress?.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/rewrite-target': '/',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '30',
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
    });
    expect(objects[1]?.spec.ports[0].port).toBe(9000);
  });

  it('refuses what Kubernetes cannot run: no image, a schedule only croner reads', () => {
    expect(kubernetesProblem(workload({ image: null }))).toMatch(
      /job 'etl' has no "image-destination"/,
    );
    const cron = (schedule: string) => kubernetesProblem(workload({ kind: 'cronjob', schedule }));
    expect(cron('*/5 * * * * *')).toBe(
      `cronjob 'etl' has the schedule "*/5 * * * * *", which Kubernetes refuses: it has 6 fields; Kubernetes CronJobs take 5 (minute hour day month weekday)`,
    );
    expect(cron('0 0 * * 7')).toMatch(
      /which Kubernetes refuses: weekday 7 is above 6 \(Sunday is 0\)$/,
    );
    expect(cron('0 0 L * *')).toMatch(
      /"L" in the day-of-month field is neither a number;.*not L, W or #$/,
    );
    expect(cron('0 0 15W * *')).toMatch(/"15W" in the day-of-month field/);
    expect(cron('0 0 * * 1#2')).toMatch(
      /"1#2" in the weekday field is neither a number nor a name such as MON/,
    );
    expect(cron('0 0 * * 5L')).toMatch(/"5L" in the weekday field/);
    for (const schedule of [
      '*/15 * * * *',
      '0 9 * * MON-FRI',
      '0 0 1 jan,jul ?',
      '30 2 1-15/2 * sun',
      '@daily',
    ]) {
      expect(cron(schedule), schedule).toBeNull();
    }
    expect(kubernetesProblem(workload({}))).toBeNull();
  });
});
