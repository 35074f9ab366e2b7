import { ApiException } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  failureOf,
  type KubeApiServer,
  type KubeClients,
  kubeClients,
  startKubeApiServer,
} from './fakes/kube/index.js';

let server: KubeApiServer;
let k: KubeClients;
const ns = 'faulty';

beforeAll(async () => {
  server = await startKubeApiServer();
  k = kubeClients(server);
  await k.core.createNamespace({ body: { metadata: { name: ns } } });
});
afterEach(() => server.clearFaults());
afterAll(() => server.close());

const list = () => k.core.listNamespacedConfigMap({ namespace: ns });

describe('fault injection', () => {
  it('fails one matching request with a 500 InternalError Status, then recovers', async () => {
    server.inject({ method: 'GET', path: `/namespaces/${ns}/configmaps`, status: 500 });
    const status = await failureOf(list());
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: injected fault',
    });
    expect((await list()).items.length).toBeGreaterThanOrEqual(0);
  });

  it('answers 429 TooManyRequests with Retry-After', async () => {
    server.inject({ path: /\/configmaps$/, status: 429 });
    try {
      await list();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiException);
      const e = error as ApiException<string>;
      expect(e.code).toBe(429);
      expect(e.headers['retry-after']).toBe('1');
      expect(JSON.parse(e.body)).toMatchObject({
        reason: 'TooManyRequests',
        message: 'Too many requests, please try again later.',
        details: { retryAfterSeconds: 1 },
      });
    }
  });

  it('fails `times` times, or until cleared with Infinity', async () => {
    server.inject({ path: `/namespaces/${ns}/configmaps`, status: 503, times: 2 });
    expect((await failureOf(list())).reason).toBe('ServiceUnavailable');
    expect((await failureOf(list())).code).toBe(503);
    await list();
    server.inject({
      path: `/namespaces/${ns}/configmaps`,
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 5; i++) expect((await failureOf(list())).code).toBe(500);
    server.clearFaults();
    await list();
  });

  it('matches on method: a POST fault leaves GETs alone', async () => {
    server.inject({ method: 'POST', path: '/configmaps', status: 403 });
    await list();
    const status = await failureOf(
      k.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } }),
    );
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: `configmaps is forbidden: User "system:serviceaccount:slipway:slipway" cannot create resource "configmaps" in API group "" in the namespace "${ns}"`,
    });
  });

  it('delays matching requests by delayMs', async () => {
    server.inject({ path: `/namespaces/${ns}/configmaps`, delayMs: 600 });
    const started = Date.now();
    await list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    const quick = Date.now();
    await list();
    // The fault applied once (times defaults to 1).
    expect(Date.now() - quick).toBeLessThan(400);
  });

  it('records every request with method, path, query, content type and status', async () => {
    const from = server.requests.length;
    await k.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'recorded' } },
    });
    await k.core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'a=b' });
    await failureOf(k.core.readNamespacedConfigMap({ name: 'nope', namespace: ns }));
    expect(server.requests.slice(from)).toEqual([
      {
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        query: {},
        contentType: 'application/json',
        status: 201,
      },
      {
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/configmaps`,
        query: { labelSelector: 'a=b' },
        contentType: undefined,
        status: 200,
      },
      {
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/configmaps/nope`,
        query: {},
        contentType: undefined,
        status: 404,
      },
    ]);
  });
});
