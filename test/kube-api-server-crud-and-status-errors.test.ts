import type { V1ConfigMap, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failureOf,
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';

let server: KubeApiServer;
let k: KubeClients;

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: 'crud' } } });
});
afterAll(() => server.close());

/** A suspended Job: the controller leaves it alone, so read-modify-write cannot race it. */
function job(name: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: name } },
    spec: {
      suspend: true,
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
      },
    },
  };
}

describe('CRUD with real Status errors', () => {
  it('creates, reads, lists, updates and deletes, with server-set metadata and defaults', async () => {
    const created = await k.batch.createNamespacedJob({ namespace: 'crud', body: job('hello') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.managedFields?.[0]).toMatchObject({
      operation: 'Update',
      apiVersion: 'batch/v1',
      fieldsType: 'FieldsV1',
    });
    // Defaults and the generated selector, as a real API server writes them.
    expect(created.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    expect(created.spec?.selector?.matchLabels).toEqual({
      'batch.kubernetes.io/controller-uid': created.metadata?.uid,
    });
    expect(created.spec?.template.metadata?.labels).toMatchObject({
      'job-name': 'hello',
      'batch.kubernetes.io/job-name': 'hello',
      'controller-uid': created.metadata?.uid,
    });
    expect(created.spec?.template.spec?.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
    });

    const read = await k.batch.readNamespacedJob({ name: 'hello', namespace: 'crud' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    const list = await k.batch.listNamespacedJob({ namespace: 'crud' });
    expect(list.items.map((j) => j.metadata?.name)).toEqual(['hello']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata?.resourceVersion),
    );

    read.metadata = { ...read.metadata, labels: { app: 'hello', tier: 'batch' } };
    const updated = await k.batch.replaceNamespacedJob({
      name: 'hello',
      namespace: 'crud',
      body: read,
    });
    expect(updated.metadata?.labels).toEqual({ app: 'hello', tier: 'batch' });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );

    const deleted = await k.batch.deleteNamespacedJob({
      name: 'hello',
      namespace: 'crud',
      propagationPolicy: 'Background',
    });
    expect(deleted).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'hello', group: 'batch', kind: 'jobs' },
    });
    expect(server.objects('jobs', 'crud')).toEqual([]);
  });

  it('answers 404 NotFound with the real message and details', async () => {
    const status = await failureOf(k.batch.readNamespacedJob({ name: 'nope', namespace: 'crud' }));
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'jobs.batch "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'batch', kind: 'jobs' },
      code: 404,
    });
    const pod = await failureOf(k.core.deleteNamespacedPod({ name: 'ghost', namespace: 'crud' }));
    expect(pod).toMatchObject({
      message: 'pods "ghost" not found',
      details: { name: 'ghost', kind: 'pods' },
      code: 404,
    });
  });

  it('answers 409 AlreadyExists on a second create', async () => {
    await k.batch.createNamespacedJob({ namespace: 'crud', body: job('twice') });
    const status = await failureOf(
      k.batch.createNamespacedJob({ namespace: 'crud', body: job('twice') }),
    );
    expect(status).toMatchObject({
      reason: 'AlreadyExists',
      message: 'jobs.batch "twice" already exists',
      code: 409,
      details: { name: 'twice', group: 'batch', kind: 'jobs' },
    });
  });

  it('answers 409 Conflict when an update carries a stale resourceVersion', async () => {
    const body: V1ConfigMap = { metadata: { name: 'settings' }, data: { a: '1' } };
    const first = await k.core.createNamespacedConfigMap({ namespace: 'crud', body });
    await k.core.replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'crud',
      body: { ...first, data: { a: '2' } },
    });
    const status = await failureOf(
      k.core.replaceNamespacedConfigMap({
        name: 'settings',
        namespace: 'crud',
        body: { ...first, data: { a: '3' } },
      }),
    );
    expect(status).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    });
    // Without a resourceVersion the update is unconditional.
    const { resourceVersion: _, ...metadata } = first.metadata ?? {};
    const forced = await k.core.replaceNamespacedConfigMap({
      name: 'settings',
      namespace: 'crud',
      body: { ...first, metadata, data: { a: '4' } },
    });
    expect(forced.data).toEqual({ a: '4' });
  });

  it('answers 422 Invalid for a bad name, with causes naming the field', async () => {
    const status = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: 'crud',
        body: { metadata: { name: 'Bad_Name' } },
      }),
    );
    expect(status.code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.message).toMatch(
      /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/,
    );
    expect(status.details).toMatchObject({
      name: 'Bad_Name',
      kind: 'ConfigMap',
      causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }],
    });
    const invalidJob = await failureOf(
      k.batch.createNamespacedJob({
        namespace: 'crud',
        body: {
          metadata: { name: 'no-image' },
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main' }] } } },
        } as V1Job,
      }),
    );
    expect(invalidJob.message).toBe(
      'Job.batch "no-image" is invalid: spec.template.spec.containers[0].image: Required value',
    );
    const badLabel = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: 'crud',
        body: { metadata: { name: 'labelled', labels: { team: 'a/b' } } },
      }),
    );
    expect(badLabel.details?.causes?.[0]).toMatchObject({
      field: 'metadata.labels',
      reason: 'FieldValueInvalid',
    });
    // A Service's ports have unique names (and port/protocol pairs), as the API server checks.
    const twice = await failureOf(
      k.core.createNamespacedService({
        namespace: 'crud',
        body: {
          metadata: { name: 'twice' },
          spec: {
            ports: [
              { name: 'http', port: 8081 },
              { name: 'http', port: 9999 },
            ],
          },
        },
      }),
    );
    expect(twice.code).toBe(422);
    expect(twice.message).toBe(
      'Service "twice" is invalid: spec.ports[1].name: Duplicate value: "http"',
    );
  });

  it('generates names from generateName', async () => {
    const created = await k.core.createNamespacedConfigMap({
      namespace: 'crud',
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('lists a namespaced resource across all namespaces, without apiVersion and kind on items', async () => {
    await k.core.createNamespace({ body: { metadata: { name: 'crud-other' } } });
    await k.core.createNamespacedConfigMap({
      namespace: 'crud-other',
      body: { metadata: { name: 'elsewhere', labels: { spread: 'yes' } } },
    });
    await k.core.createNamespacedConfigMap({
      namespace: 'crud',
      body: { metadata: { name: 'here', labels: { spread: 'yes' } } },
    });
    const all = await k.core.listConfigMapForAllNamespaces({ labelSelector: 'spread=yes' });
    // In etcd key order, as a real API server lists them.
    expect(all.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`)).toEqual([
      'crud-other/elsewhere',
      'crud/here',
    ]);
    const raw = (await (
      await fetch(`${server.url}/api/v1/configmaps?labelSelector=spread%3Dyes`, {
        headers: { authorization: `Bearer ${server.token}` },
      })
    ).json()) as { kind: string; items: Record<string, unknown>[] };
    expect(raw.kind).toBe('ConfigMapList');
    expect(raw.items[0]?.kind).toBeUndefined();
  });

  it('pages lists with limit and continue', async () => {
    for (const n of [1, 2, 3])
      await k.core.createNamespacedConfigMap({
        namespace: 'crud-other',
        body: { metadata: { name: `page-${n}`, labels: { page: 'yes' } } },
      });
    const first = await k.core.listNamespacedConfigMap({
      namespace: 'crud-other',
      labelSelector: 'page',
      limit: 2,
    });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['page-1', 'page-2']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await k.core.listNamespacedConfigMap({
      namespace: 'crud-other',
      labelSelector: 'page',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map((c) => c.metadata?.name)).toEqual(['page-3']);
    expect(second.metadata?._continue).toBeUndefined();
  });

  it('rejects a body whose namespace differs from the URL', async () => {
    const status = await failureOf(
      k.core.createNamespacedConfigMap({
        namespace: 'crud',
        body: { metadata: { name: 'x', namespace: 'crud-other' } },
      }),
    );
    expect(status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message:
        'the namespace of the provided object does not match the namespace sent on the request',
    });
  });
});
