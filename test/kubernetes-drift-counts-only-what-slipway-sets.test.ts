import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { findDrift, sameContent } from '../core/runtime/kubernetes/index.js';

function deployment(
  spec: Record<string, unknown>,
  labels: Record<string, string> = { team: 'web' },
): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'demo', labels },
    spec,
  } as KubernetesObject;
}

function container(fields: Record<string, unknown>) {
  return { template: { spec: { containers: [{ name: 'task', ...fields }] } } };
}

const drift = (want: KubernetesObject, live: KubernetesObject | undefined) =>
  findDrift([want], () => live);

describe('drift between what Slipway applied and what the cluster holds', () => {
  it('names the first field someone changed, with both values', () => {
    expect(drift(deployment({ replicas: 2 }), deployment({ replicas: 0 }))).toBe(
      'Deployment web: spec.replicas is 0, git says 2',
    );
    expect(drift(deployment({}, { team: 'web' }), deployment({}, { team: 'ops' }))).toBe(
      'Deployment web: metadata.labels.team is "ops", git says "web"',
    );
    expect(
      drift(deployment(container({ image: 'a:1' })), deployment(container({ image: 'b:2' }))),
    ).toBe('Deployment web: spec.template.spec.containers[task].image is "b:2", git says "a:1"');
  });

  it('names an object or a field that is gone', () => {
    expect(drift(deployment({ replicas: 1 }), undefined)).toBe('Deployment web is missing');
    expect(drift(deployment(container({ command: ['run'] })), deployment(container({})))).toBe(
      'Deployment web: spec.template.spec.containers[task].command is missing, git says ["run"]',
    );
  });

  it('ignores what others add beside Slipway: defaults, labels, a sidecar, list order by name', () => {
    const want = deployment({
      replicas: 1,
      ...container({
        env: [{ name: 'A', value: '1' }],
        ports: [{ name: 'http', containerPort: 80 }],
      }),
    });
    const live = deployment(
      {
        replicas: 1,
        progressDeadlineSeconds: 600,
        template: {
          spec: {
            containers: [
              { name: 'sidecar', image: 'proxy:1' },
              {
                name: 'task',
                env: [
                  { name: 'INJECTED', value: 'x' },
                  { name: 'A', value: '1' },
                ],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
                terminationMessagePath: '/dev/termination-log',
              },
            ],
          },
        },
      },
      { team: 'web', extra: 'yes' },
    );
    expect(drift(want, live)).toBeUndefined();
  });

  it('takes a list of plain values as a whole: a reordered command has drifted', () => {
    expect(
      drift(
        deployment(container({ command: ['a', 'b'] })),
        deployment(container({ command: ['b', 'a'] })),
      ),
    ).toBe(
      'Deployment web: spec.template.spec.containers[task].command is ["b","a"], git says ["a","b"]',
    );
  });

  it('reads resource quantities as amounts, as the API server rewrites them', () => {
    const resources = (cpu: string, memory: string) =>
      deployment(container({ resources: { requests: { cpu, memory } } }));
    expect(drift(resources('0.5', '1Gi'), resources('500m', '1024Mi'))).toBeUndefined();
    expect(drift(resources('1', '1Gi'), resources('2', '1Gi'))).toBe(
      'Deployment web: spec.template.spec.containers[task].resources.requests.cpu is "2", git says "1"',
    );
    // Only under resources: elsewhere "1000m" is a string like any other.
    expect(drift(deployment({}, { size: '1' }), deployment({}, { size: '1000m' }))).toBe(
      'Deployment web: metadata.labels.size is "1000m", git says "1"',
    );
  });

  it('takes an empty value or a zero the API server left out for what Slipway rendered', () => {
    const want = deployment(
      container({
        env: [{ name: 'EMPTY', value: '' }],
        readinessProbe: { initialDelaySeconds: 0, periodSeconds: 10 },
        command: [],
      }),
    );
    const live = deployment(
      container({ env: [{ name: 'EMPTY' }], readinessProbe: { periodSeconds: 10 } }),
    );
    expect(drift(want, live)).toBeUndefined();
    // A value that is not empty is still missing when the server holds none.
    const set = deployment(container({ readinessProbe: { initialDelaySeconds: 5 } }));
    expect(drift(set, live)).toBe(
      'Deployment web: spec.template.spec.containers[task].readinessProbe.initialDelaySeconds is missing, git says 5',
    );
  });

  it('names drifted environment values without showing them: they may be secrets', () => {
    const env = (value: string) => deployment(container({ env: [{ name: 'TOKEN', value }] }));
    expect(drift(env('from-git'), env('s3cr3t-set-by-hand'))).toBe(
      'Deployment web: spec.template.spec.containers[task].env[TOKEN].value is not what git says',
    );
    expect(drift(env('from-git'), deployment(container({})))).toBe(
      'Deployment web: spec.template.spec.containers[task].env is missing',
    );
    // A whole container gone (renamed by hand) shows git's, its environment values masked.
    const renamed = deployment({
      template: { spec: { containers: [{ name: 'app', env: [{ name: 'TOKEN', value: 'x' }] }] } },
    });
    expect(drift(env('hunter2'), renamed)).toBe(
      'Deployment web: spec.template.spec.containers[task] is missing, git says {"name":"task","env":[{"name":"TOKEN","value":"***"}]}',
    );
  });

  it('compares two forms of an object by labels, annotations and spec, in any key order', () => {
    const a = deployment({ replicas: 1, paused: false });
    const b = { ...deployment({ paused: false, replicas: 1 }), status: { replicas: 3 } };
    expect(sameContent(a, b)).toBe(true);
    expect(sameContent(a, deployment({ replicas: 2, paused: false }))).toBe(false);
  });
});
