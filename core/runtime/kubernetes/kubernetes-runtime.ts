import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1CronJob,
  type V1Deployment,
  type V1Job,
  type V1Pod,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { isSlipwayError, SlipwayError } from '../../errors.js';
import { type Logger, silentLogger } from '../../types.js';
import {
  type ApplyOptions,
  type ApplyOutcome,
  LABELS,
  type ListFilter,
  type LogLine,
  type LogOptions,
  MANAGED_BY_VALUE,
  type PodInfo,
  RERUN_FAILED_JOB,
  type Runtime,
  type TrafficOptions,
  type TrafficScope,
  type TrafficWeight,
  type Workload,
  type WorkloadInfo,
  type WorkloadKind,
  type WorkloadRef,
  type WorkloadStatus,
} from '../types.js';
import { DEFAULT_RETRY, type RetryOptions, statusCode, withRetries } from './api-errors.js';
import { findDrift, sameContent } from './find-drift.js';
import {
  currentRevisionPods,
  judgeCronJob,
  judgeDeployment,
  judgeJob,
  missingStatus,
  podInfo,
} from './judge-health.js';
import { podLogs } from './pod-logs.js';
import {
  assertRunnable,
  DEFAULT_SERVICE_PORT,
  KIND_LABEL,
  kubernetesProblem,
  primaryKind,
  renderObjects,
  SELECTOR_LABEL,
  SPEC_HASH_ANNOTATION,
} from './render-objects.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, limitRequestTime } from './request-time-limit.js';
import { WatchedCollection } from './watched-collection.js';

export interface KubernetesRuntimeOptions {
  kubeConfig: KubeConfig;
  logger?: Logger;
  retry?: RetryOptions;
  /** API calls an apply makes at once. */
  concurrency?: number;
  /** How long a deleted Job may take to disappear before it is created again. */
  deleteWaitMs?: number;
  /**
   * How long one API request may go unanswered before it is given up (and retried as a
   * transient failure); watches and log streams have none. Default 30 s.
   */
  requestTimeoutMs?: number;
}

const FIELD_MANAGER = 'slipway';
/** The Gateway API version of the HTTPRoutes a scope's gateway gets. */
const HTTP_ROUTE_API = 'gateway.networking.k8s.io/v1';
const AUTOSCALER_API_VERSION = 'autoscaling/v2';
const MANAGED = `${LABELS.managedBy}=${MANAGED_BY_VALUE}`;
/** How long a deploy waits for its namespace to finish being deleted before making it anew. */
const TERMINATING_WAIT_MS = 60_000;
const API_VERSION = {
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Deployment: 'apps/v1',
  Service: 'v1',
  Ingress: 'networking.k8s.io/v1',
} as const;
type PrimaryKind = 'Job' | 'CronJob' | 'Deployment';
type Primary = V1Job | V1CronJob | V1Deployment;

interface NamespaceCaches {
  Job: WatchedCollection<V1Job>;
  CronJob: WatchedCollection<V1CronJob>;
  Deployment: WatchedCollection<V1Deployment>;
  pods: WatchedCollection<V1Pod>;
  /** Started on first need; 'forbidden' when Slipway may not read them. */
  replicaSets?: WatchedCollection<V1ReplicaSet> | 'forbidden';
}

/**
 * The Kubernetes runtime (DESIGN.md section 5), on @kubernetes/client-node: server-side apply with
 * field manager `slipway`, Slipway's labels on everything, health judged from watched objects
 * (a dropped watch resumes from its resourceVersion), pod logs streamed for the job log, and
 * transient API failures retried with capped backoff.
 */
export class KubernetesRuntime implements Runtime {
  readonly name = 'kubernetes' as const;
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly apps: AppsV1Api;
  private readonly logger: Logger;
  private readonly retry: RetryOptions;
  private readonly caches = new Map<string, NamespaceCaches>();
  private readonly listeners = new Set<() => void>();
  private toldAutoscalersForbidden = false;
  private toldReplicaSetsForbidden = false;
  /** The uid and generation each workload's primary object had when we last applied it. */
  private readonly applied = new Map<string, { uid: string; generation: number }>();
  /** Whether the cluster was found to serve Gateway API HTTPRoutes (asked until it does). */
  private httpRoutesServed = false;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // Every call but watches and log streams: a request the server never answers must not hold
    // a deploy (and, through it, its target) for good.
    const kc = limitRequestTime(options.kubeConfig, requestTimeoutMs);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.logger = options.logger ?? silentLogger;
    this.retry = { ...(options.retry ?? DEFAULT_RETRY), requestTimeoutMs };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const caches of this.caches.values())
      for (const collection of Object.values(caches))
        if (collection !== 'forbidden') collection.stop();
    this.caches.clear();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the `onChange` listeners: a watched object or pod changed. */
  private readonly notify = () => {
    for (const listener of this.listeners) listener();
  };

  /** The namespace, or undefined when there is none. */
  private readNamespace(namespace: string) {
    return this.call(
      `read namespace ${namespace}`,
      () => this.core.readNamespace({ name: namespace }),
      true,
    );
  }

  async ensureNamespace(namespace: string): Promise<void> {
    let exists = await this.readNamespace(namespace);
    // Being deleted (a closed pull request's preview, reopened): nothing can be made in it
    // until it is gone, and then it is made anew.
    for (
      const until = Date.now() + TERMINATING_WAIT_MS;
      exists?.status?.phase === 'Terminating' && Date.now() < until;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      exists = await this.readNamespace(namespace);
    }
    if (exists?.status?.phase === 'Terminating') {
      throw new SlipwayError(
        'RUNTIME_ERROR',
        `namespace ${namespace} is still being deleted after ${TERMINATING_WAIT_MS / 1000} s; deploy again once it is gone`,
        { retryable: true },
      );
    }
    if (exists) return;
    try {
      await this.call(`create namespace ${namespace}`, () =>
        this.core.createNamespace({
          body: { metadata: { name: namespace, labels: { [LABELS.managedBy]: MANAGED_BY_VALUE } } },
        }),
      );
    } catch (error) {
      // Someone created it meanwhile: what we wanted.
      if (!(error instanceof SlipwayError && error.code === 'CONFLICT')) throw error;
    }
  }

  async removeNamespace(namespace: string): Promise<boolean> {
    const found = await this.readNamespace(namespace);
    if (found?.metadata?.labels?.[LABELS.managedBy] !== MANAGED_BY_VALUE) return false;
    if (found.status?.phase === 'Terminating') return true;
    // Another workspace, a DataTask task or a rollout's scope may share it.
    const [workloads, services] = await Promise.all([
      this.list({ namespace }),
      this.call(`list services in ${namespace}`, () =>
        this.core.listNamespacedService({ namespace, labelSelector: MANAGED }),
      ),
    ]);
    if (workloads.length > 0 || (services?.items.length ?? 0) > 0) return false;
    const deleted = await this.call(
      `delete namespace ${namespace}`,
      () => this.core.deleteNamespace({ name: namespace }),
      true,
    );
    return deleted !== undefined;
  }

  async listNamespaces(): Promise<string[]> {
    const list = await this.call('list namespaces', () =>
      this.core.listNamespace({ labelSelector: MANAGED }),
    );
    return (list?.items ?? [])
      .map((ns) => ns.metadata?.name ?? '')
      .filter(Boolean)
      .sort();
  }

  cannotRun(workload: Workload): string | null {
    return kubernetesProblem(workload);
  }

  async apply(workloads: Workload[], options: ApplyOptions = {}): Promise<ApplyOutcome[]> {
    assertRunnable(workloads);
    const dryRun = options.dryRun === true;
    const namespaces = [...new Set(workloads.map((w) => w.namespace))];
    const current = new Map<string, KubernetesObject>();
    const foreign = new Set<string>();
    const missingNamespaces = new Set<string>();
    for (const namespace of namespaces) {
      const kinds = new Set(workloads.filter((w) => w.namespace === namespace).map((w) => w.kind));
      const found = await this.listPresent(namespace, {
        services: kinds.has('service'),
        autoscalers: kinds.has('service') || kinds.has('deployment'),
      });
      if (found === undefined) missingNamespaces.add(namespace);
      for (const object of found?.owned ?? []) current.set(objectKey(object), object);
      for (const key of found?.foreign ?? []) foreign.add(key);
    }
    const autoscaled = autoscaledDeployments(current.values());
    const render = (workload: Workload) => renderKeepingScale(workload, current, autoscaled);
    if (foreign.size > 0) refuseTakeover(workloads.flatMap(render), foreign);
    return mapLimit(
      workloads,
      this.options.concurrency ?? 16,
      async (workload): Promise<ApplyOutcome> => {
        const ref = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
        const existing = current.get(
          objectKey(spec(primaryKind(workload.kind), workload.namespace, workload.name)),
        );
        if (
          existing?.metadata?.annotations?.[SPEC_HASH_ANNOTATION] === workload.specHash &&
          kindOf(existing) === workload.kind
        ) {
          return this.restoreDrift(workload, render(workload), current, dryRun);
        }
        const action = existing ? 'changed' : 'created';
        if (dryRun) {
          // The server validates what would be applied (a changed Job is replaced, not patched).
          if (
            !missingNamespaces.has(workload.namespace) &&
            !(workload.kind === 'job' && existing)
          ) {
            for (const object of render(workload)) await this.applyObject(object, true);
          }
          return { ...ref, action };
        }
        if (existing && (workload.kind === 'job' || kindOf(existing) !== workload.kind)) {
          // A Job's pod template is immutable: a changed job is deleted and created again.
          await this.deleteAndWait(existing);
        }
        const rendered = render(workload);
        await this.applyRendered(ref, rendered, false);
        if (existing) await this.removeLeftovers(workload, rendered);
        return { ...ref, action };
      },
    );
  }

  /**
   * A workload whose spec did not change in git is applied again only when its objects drifted
   * from what Slipway applied (someone scaled, edited or deleted them); it is `changed` when that
   * apply changed them back, and says what had drifted. A Job is left as it ended, unless it
   * failed: then it is made anew, and runs again.
   */
  private async restoreDrift(
    workload: Workload,
    rendered: KubernetesObject[],
    current: Map<string, KubernetesObject>,
    dryRun: boolean,
  ): Promise<ApplyOutcome> {
    const ref = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
    if (workload.kind === 'job') {
      // A Job that ran is left as it ended, unless it failed: a deploy is how a failed task is
      // tried again (its pod template cannot change, so it is made anew).
      const job = current.get(objectKey(spec('Job', workload.namespace, workload.name)));
      if (!job || judgeJob(job as V1Job, []).health !== 'failed') {
        return { ...ref, action: 'unchanged' };
      }
      const reason = RERUN_FAILED_JOB;
      if (dryRun) return { ...ref, action: 'changed', reason };
      await this.deleteAndWait(job);
      await this.applyRendered(ref, rendered, false);
      return { ...ref, action: 'changed', reason };
    }
    const drift = findDrift(rendered, (object) => current.get(objectKey(object)));
    if (!drift) return { ...ref, action: 'unchanged' };
    // Server-side apply keeps list entries another field manager owns: a port changed by hand
    // would stay beside git's, two ports of one name, which the API server refuses. Such ports
    // are put back whole first (a plan says so without trying).
    const portsOff = rendered.filter((object) => portsDrifted(object, current));
    if (portsOff.length > 0 && dryRun) return { ...ref, action: 'changed', drift };
    for (const object of portsOff) await this.putBackPorts(object);
    const results = await this.applyRendered(ref, rendered, dryRun);
    // Server-side apply leaves an object as it is when it already says what was applied (a
    // quantity written another way is the same): that is no drift.
    const moved = results.some((result) => {
      const before = current.get(objectKey(result));
      if (!before) return true;
      return dryRun
        ? !sameContent(result, before)
        : result.metadata?.resourceVersion !== before.metadata?.resourceVersion;
    });
    return moved ? { ...ref, action: 'changed', drift } : { ...ref, action: 'unchanged' };
  }

  /** Replaces a Service's ports with the ones git names (a merge patch replaces a list whole). */
  private putBackPorts(object: KubernetesObject): Promise<unknown> {
    const ports = (object as { spec?: { ports?: unknown } }).spec?.ports;
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    return this.mergePatch(
      spec('Service', namespace, name),
      { ports },
      FIELD_MANAGER,
      `put back the ports of Service ${namespace}/${name}`,
    );
  }

  /** A JSON merge patch of `object`'s spec as `manager`, retried as every call is. */
  private mergePatch(
    object: KubernetesObject,
    change: Record<string, unknown>,
    manager: string,
    what: string,
  ): Promise<unknown> {
    return withRetries(
      what,
      () =>
        this.objects.patch(
          { ...object, spec: change } as KubernetesObject,
          undefined,
          undefined,
          manager,
          undefined,
          PatchStrategy.MergePatch,
        ),
      this.retry,
    );
  }

  /** Applies a workload's objects in order, noting its primary's uid and generation. */
  private async applyRendered(
    ref: WorkloadRef,
    rendered: KubernetesObject[],
    dryRun: boolean,
  ): Promise<KubernetesObject[]> {
    const results: KubernetesObject[] = [];
    for (const object of rendered) {
      const result = await this.applyObject(object, dryRun);
      results.push({ ...result, kind: object.kind });
      if (!dryRun && object.kind === primaryKind(ref.kind)) {
        this.applied.set(refKey(ref), {
          uid: result.metadata?.uid ?? '',
          generation: result.metadata?.generation ?? 0,
        });
      }
    }
    return results;
  }

  async delete(ref: WorkloadRef): Promise<boolean> {
    const primary = spec(primaryKind(ref.kind), ref.namespace, ref.name);
    // A service's Service and Ingress go with it only when they are its own (another
    // workspace's task, or something Slipway did not make, may have that name): its labels say.
    const owner =
      ref.kind === 'service'
        ? ((await this.readObject(primary))?.metadata?.labels ?? { [LABELS.task]: ref.name })
        : undefined;
    const existed = await this.deleteObject(primary);
    if (owner) {
      for (const kind of ['Service', 'Ingress'] as const) {
        await this.deleteCompanion(spec(kind, ref.namespace, ref.name), owner);
      }
    }
    // Until the watch sees the deletion, every cached copy is older than what we know.
    this.applied.set(refKey(ref), { uid: '', generation: Number.MAX_SAFE_INTEGER });
    return existed;
  }

  async list(filter: ListFilter = {}): Promise<WorkloadInfo[]> {
    const selector = [
      MANAGED,
      ...Object.entries(filter.labels ?? {}).map(([k, v]) => `${k}=${v}`),
    ].join(',');
    const kinds: PrimaryKind[] = filter.kind
      ? [primaryKind(filter.kind)]
      : ['Job', 'CronJob', 'Deployment'];
    const infos: WorkloadInfo[] = [];
    for (const kind of kinds) {
      for (const object of await this.listKind(kind, filter.namespace, selector)) {
        // A CronJob's runs are Jobs carrying its labels: they are the CronJob's, not workloads.
        if (object.metadata?.ownerReferences?.some((owner) => owner.kind === 'CronJob')) continue;
        const kindName = kindOf(object);
        if (filter.kind && kindName !== filter.kind) continue;
        infos.push({
          kind: kindName,
          namespace: object.metadata?.namespace ?? '',
          name: object.metadata?.name ?? '',
          labels: { ...object.metadata?.labels },
          created: isoOf(object.metadata?.creationTimestamp),
          schedule:
            object.kind === 'CronJob' ? ((object as V1CronJob).spec?.schedule ?? null) : null,
          replicas:
            object.kind === 'Deployment' ? ((object as V1Deployment).spec?.replicas ?? 1) : 1,
          specHash: object.metadata?.annotations?.[SPEC_HASH_ANNOTATION] ?? null,
        });
      }
    }
    return infos;
  }

  async pods(namespace?: string): Promise<PodInfo[]> {
    const list = await this.call(`list pods${namespace ? ` in ${namespace}` : ''}`, () =>
      namespace
        ? this.core.listNamespacedPod({ namespace, labelSelector: MANAGED })
        : this.core.listPodForAllNamespaces({ labelSelector: MANAGED }),
    );
    return (list?.items ?? []).map((pod) => {
      const labels = pod.metadata?.labels ?? {};
      const kind =
        (labels[KIND_LABEL] as WorkloadKind | undefined) ??
        (labels['job-name'] ? 'job' : 'deployment');
      const name = labels[SELECTOR_LABEL] ?? labels['job-name'] ?? '';
      return podInfo(pod, { kind, namespace: pod.metadata?.namespace ?? namespace ?? '', name });
    });
  }

  async status(ref: WorkloadRef): Promise<WorkloadStatus> {
    const caches = await this.cachesFor(ref.namespace);
    const primary = await this.currentPrimary(ref, caches);
    if (!primary || kindOf(primary) !== ref.kind) return missingStatus(ref);
    const pods = this.podsOf(ref, primary, caches.pods.list(ref.namespace));
    if (primary.kind === 'Job') return { ...ref, ...judgeJob(primary as V1Job, pods) };
    if (primary.kind === 'CronJob') return { ...ref, ...judgeCronJob(primary as V1CronJob) };
    const deployment = primary as V1Deployment;
    // Pods on their way out (terminating, or of a ReplicaSet the rollout replaces) say nothing
    // of how the rollout fares: a crash loop there may be the very thing it fixes.
    const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
    const replicaSets = await this.replicaSets(ref.namespace, caches);
    const judged = judgeDeployment(
      deployment,
      replicaSets ? currentRevisionPods(deployment, replicaSets, live) : live,
      ref.kind === 'service' ? this.address(deployment, ref) : null,
    );
    return { ...ref, ...judged };
  }

  logs(ref: WorkloadRef, options: LogOptions = {}): AsyncIterable<LogLine> {
    return podLogs(this.options.kubeConfig, {
      follow: options.follow === true,
      ...(options.signal ? { signal: options.signal } : {}),
      container: 'task',
      pods: async () => {
        const caches = await this.cachesFor(ref.namespace);
        const primary = await this.currentPrimary(ref, caches);
        if (!primary) return [];
        const pods = this.podsOf(ref, primary, caches.pods.list(ref.namespace));
        if (primary.kind !== 'Deployment') return pods;
        // A rollout's own pods: those of the ReplicaSet it replaces are on their way out, and
        // what they printed is not why the new ones do not get ready.
        const replicaSets = await this.replicaSets(ref.namespace, caches);
        return replicaSets ? currentRevisionPods(primary as V1Deployment, replicaSets, pods) : pods;
      },
      finished: async () => ref.kind === 'job' && (await this.status(ref)).health !== 'progressing',
    });
  }

  /** The primaries Slipway owns in a namespace; undefined when the namespace does not exist. */
  /**
   * Splits a scope's traffic (DESIGN.md section 5): a Service named after the scope selects the
   * pods of all its deployments; with a gateway, an HTTPRoute weighs the deployments' own
   * Services; without one, replica counts are set in proportion to the weights (an approximation:
   * Kubernetes spreads a Service's connections across ready pods, not by weight).
   */
  async setTraffic(
    scope: TrafficScope,
    weights: TrafficWeight[],
    options: TrafficOptions = {},
  ): Promise<{ address: string }> {
    const labels = { [LABELS.managedBy]: MANAGED_BY_VALUE, [LABELS.scope]: scope.name };
    await this.applyObject(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: scope.name, namespace: scope.namespace, labels },
        spec: {
          type: 'ClusterIP',
          selector: { [LABELS.scope]: scope.name },
          ports: [{ name: 'http', port: scope.port, targetPort: 'http', protocol: 'TCP' }],
        },
      } as KubernetesObject,
      false,
    );
    if (scope.gateway) {
      const [gatewayNamespace, gatewayName] = scope.gateway.includes('/')
        ? scope.gateway.split('/', 2)
        : [undefined, scope.gateway];
      await this.requireHttpRoutes(scope);
      await this.applyObject(
        {
          apiVersion: HTTP_ROUTE_API,
          kind: 'HTTPRoute',
          metadata: { name: scope.name, namespace: scope.namespace, labels },
          spec: {
            parentRefs: [
              { name: gatewayName, ...(gatewayNamespace ? { namespace: gatewayNamespace } : {}) },
            ],
            rules: [
              {
                backendRefs: weights.map((w) => ({
                  name: w.workload,
                  port: scope.port,
                  weight: w.weight,
                })),
              },
            ],
          },
        } as KubernetesObject,
        false,
      );
    } else {
      await this.scaleInTurn(
        scope.namespace,
        proportionalReplicas(scope.instances, weights),
        options,
      );
    }
    return { address: `http://${scope.name}.${scope.namespace}.svc.cluster.local:${scope.port}` };
  }

  /**
   * Sets replica counts so that the pods serving a scope never run out: first the workloads that
   * grow, then, once all their pods are ready, the ones that shrink. A grow that fails, or is not
   * ready in time, throws before anything shrinks, so traffic stays where it was.
   */
  private async scaleInTurn(
    namespace: string,
    replicas: Map<string, number>,
    { readyWithinMs = 5 * 60_000, signal }: TrafficOptions,
  ): Promise<void> {
    const grow: [string, number][] = [];
    const shrink: [string, number][] = [];
    for (const [name, count] of replicas) {
      const now = await this.status({ kind: 'service', namespace, name });
      (count > now.desiredReplicas ? grow : shrink).push([name, count]);
    }
    for (const [name, count] of grow) await this.scale(namespace, name, count);
    const deadline = Date.now() + readyWithinMs;
    for (const [name, count] of grow) {
      for (;;) {
        signal?.throwIfAborted();
        const now = await this.status({ kind: 'service', namespace, name });
        // The count read must be the new one: the cache may not have seen the scale yet.
        if (now.desiredReplicas >= count && now.health === 'healthy') break;
        const failed = now.health === 'failed' || now.health === 'missing';
        if (failed || Date.now() >= deadline) {
          const what = failed
            ? 'failed'
            : `is not ready after ${Math.round(readyWithinMs / 1000)} s`;
          throw new SlipwayError(
            failed ? 'WORKLOAD_FAILED' : 'TIMEOUT',
            `Deployment ${namespace}/${name}, scaled up to ${count} for its share of traffic, ${what}: ${now.message}; the other releases keep their instances`,
          );
        }
        await this.changeOrPause(250, signal);
      }
    }
    for (const [name, count] of shrink) await this.scale(namespace, name, count);
  }

  private scale(namespace: string, name: string, replicas: number): Promise<unknown> {
    return this.mergePatch(
      spec('Deployment', namespace, name),
      { replicas },
      'slipway-traffic',
      `scale Deployment ${namespace}/${name} to ${replicas}`,
    );
  }

  /** Resolves on the next watched change, after `ms`, or when `signal` aborts. */
  private changeOrPause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const stop = this.onChange(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * The namespace's Jobs, CronJobs and Deployments (with `services`, its Services and Ingresses
   * too; with `autoscalers`, its HorizontalPodAutoscalers): those Slipway made (`owned`), and
   * the keys of those it did not (`foreign`), which it must not take over. Undefined when the
   * namespace does not exist.
   */
  private async listPresent(
    namespace: string,
    { services, autoscalers }: { services: boolean; autoscalers: boolean },
  ): Promise<{ owned: KubernetesObject[]; foreign: string[] } | undefined> {
    const exists = await this.call(
      `read namespace ${namespace}`,
      () => this.core.readNamespace({ name: namespace }),
      true,
    );
    if (!exists) return undefined;
    const all: KubernetesObject[] = [];
    for (const kind of ['Job', 'CronJob', 'Deployment'] as const)
      all.push(...(await this.listKind(kind, namespace)));
    if (services) {
      const listed = [
        await this.call(`list Services in ${namespace}`, () =>
          this.core.listNamespacedService({ namespace }),
        ),
        // Through the generic client: the typed networking one adds 0.7 MB to the Action's bundle.
        await this.call(`list Ingresses in ${namespace}`, () =>
          this.objects.list(API_VERSION.Ingress, 'Ingress', namespace),
        ),
      ];
      for (const [i, kind] of (['Service', 'Ingress'] as const).entries()) {
        for (const item of listed[i]?.items ?? [])
          all.push({ ...item, kind, apiVersion: API_VERSION[kind] } as KubernetesObject);
      }
    }
    const owned: KubernetesObject[] = [];
    const foreign: string[] = [];
    for (const object of all) {
      if (object.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY_VALUE) owned.push(object);
      else foreign.push(objectKey(object));
    }
    if (autoscalers) owned.push(...(await this.listAutoscalers(namespace)));
    return { owned, foreign };
  }

  /**
   * The namespace's HorizontalPodAutoscalers. None when Slipway may not read them (a ClusterRole
   * from before `deploy/rbac.yaml` granted it): a deploy then goes on, with autoscaled
   * Deployments getting their manifest's replicas as before, and the log says once what to do.
   */
  private async listAutoscalers(namespace: string): Promise<KubernetesObject[]> {
    try {
      const listed = await this.call(
        `list HorizontalPodAutoscalers in ${namespace}`,
        () => this.objects.list(AUTOSCALER_API_VERSION, 'HorizontalPodAutoscaler', namespace),
        true,
      );
      return (listed?.items ?? []).map((item) => ({
        ...item,
        kind: 'HorizontalPodAutoscaler',
        apiVersion: AUTOSCALER_API_VERSION,
      }));
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === 'FORBIDDEN')) throw error;
      if (!this.toldAutoscalersForbidden) {
        this.toldAutoscalersForbidden = true;
        this.logger.warn(
          { namespace, reason: error.message },
          'cannot read HorizontalPodAutoscalers: the Deployments they scale get their manifest replicas; apply deploy/rbac.yaml to let Slipway read them',
        );
      }
      return [];
    }
  }

  private async listKind(
    kind: PrimaryKind,
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<Primary[]> {
    const what = `list ${kind}s${namespace ? ` in ${namespace}` : ''}`;
    const list = await this.call(what, (): Promise<{ items: Primary[] }> => {
      if (kind === 'Job')
        return namespace
          ? this.batch.listNamespacedJob({ namespace, labelSelector })
          : this.batch.listJobForAllNamespaces({ labelSelector });
      if (kind === 'CronJob')
        return namespace
          ? this.batch.listNamespacedCronJob({ namespace, labelSelector })
          : this.batch.listCronJobForAllNamespaces({ labelSelector });
      return namespace
        ? this.apps.listNamespacedDeployment({ namespace, labelSelector })
        : this.apps.listDeploymentForAllNamespaces({ labelSelector });
    });
    // Typed lists come back without kind on their items; the caller needs it.
    return (list?.items ?? []).map(
      (item) => ({ ...item, kind, apiVersion: API_VERSION[kind] }) as Primary,
    );
  }

  private async applyObject(object: KubernetesObject, dryRun: boolean): Promise<KubernetesObject> {
    const what = `${dryRun ? 'dry-run apply' : 'apply'} ${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}`;
    return withRetries(
      what,
      () =>
        this.objects.patch(
          object,
          undefined,
          dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      this.retry,
    );
  }

  /**
   * Refuses a gateway on a cluster that serves no HTTPRoutes (no Gateway API CRDs, or not at v1),
   * saying so: the apply would only answer "the server could not find the requested resource".
   */
  private async requireHttpRoutes(scope: TrafficScope): Promise<void> {
    // Once served, the CRDs stay: every later traffic switch skips the question.
    if (this.httpRoutesServed) return;
    // A list of at most one asks discovery first, as any call does: 404 when it is not served.
    const served = await this.objects
      .list(
        HTTP_ROUTE_API,
        'HTTPRoute',
        scope.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        1,
      )
      .then(() => true)
      .catch((error: unknown) => {
        if (statusCode(error) === 404) return false;
        throw error;
      });
    this.httpRoutesServed = served;
    if (served) return;
    throw new SlipwayError(
      'BAD_REQUEST',
      `scope '${scope.name}' splits its traffic through gateway '${scope.gateway}', but the cluster serves no Gateway API HTTPRoutes (${HTTP_ROUTE_API}): install the Gateway API, or take the gateway off the scope to split traffic by replicas`,
    );
  }

  /** Deletes an object (dependents in the background); false when it was not there. */
  private async deleteObject(object: KubernetesObject): Promise<boolean> {
    const what = `delete ${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}`;
    const done = await this.call(
      what,
      () => this.objects.delete(object, undefined, undefined, undefined, undefined, 'Background'),
      true,
    );
    return done !== undefined;
  }

  private async deleteAndWait(object: KubernetesObject): Promise<void> {
    await this.deleteObject(object);
    const deadline = Date.now() + (this.options.deleteWaitMs ?? 60_000);
    const header = spec(
      object.kind as keyof typeof API_VERSION,
      object.metadata?.namespace ?? '',
      object.metadata?.name ?? '',
    );
    while (await this.readObject(header)) {
      if (Date.now() > deadline) {
        throw new SlipwayError(
          'TIMEOUT',
          `${object.kind} ${object.metadata?.namespace}/${object.metadata?.name} was deleted but is still there after ${(this.options.deleteWaitMs ?? 60_000) / 1000} s`,
          { retryable: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Objects an earlier form of this workload had and this one has not (a Service, an Ingress). */
  private async removeLeftovers(workload: Workload, rendered: KubernetesObject[]): Promise<void> {
    const kept = new Set(rendered.map((o) => o.kind));
    for (const kind of ['Service', 'Ingress'] as const) {
      if (!kept.has(kind)) {
        await this.deleteCompanion(spec(kind, workload.namespace, workload.name), workload.labels);
      }
    }
  }

  /**
   * Deletes a Service or Ingress that belongs with a workload (`owner`: its labels): only one
   * Slipway made for the same task of the same workspace (or of none), and only as it was read
   * (a precondition on its uid), so nothing of another workspace's or of someone else's goes.
   */
  private async deleteCompanion(
    header: KubernetesObject,
    owner: Record<string, string>,
  ): Promise<boolean> {
    const found = await this.readObject(header);
    const labels = found?.metadata?.labels ?? {};
    if (
      !found ||
      labels[LABELS.managedBy] !== MANAGED_BY_VALUE ||
      labels[LABELS.task] !== owner[LABELS.task] ||
      labels[LABELS.workspace] !== owner[LABELS.workspace]
    ) {
      return false;
    }
    const what = `delete ${header.kind} ${header.metadata?.namespace}/${header.metadata?.name}`;
    try {
      const done = await this.call(
        what,
        () =>
          this.objects.delete(header, undefined, undefined, undefined, undefined, 'Background', {
            preconditions: { uid: found.metadata?.uid },
          }),
        true,
      );
      return done !== undefined;
    } catch (error) {
      // Made anew since it was read (the uid differs): not the one judged to be ours.
      if (isSlipwayError(error, 'CONFLICT')) return false;
      throw error;
    }
  }

  private async readObject<T extends KubernetesObject>(
    header: KubernetesObject,
  ): Promise<T | undefined> {
    const what = `read ${header.kind} ${header.metadata?.namespace}/${header.metadata?.name}`;
    return this.call(
      what,
      () => this.objects.read(header as Parameters<KubernetesObjectApi['read']>[0]) as Promise<T>,
      true,
    );
  }

  /** A cached object older than what we applied last (the watch has not caught up yet). */
  private isStale(ref: WorkloadRef, object: KubernetesObject): boolean {
    const applied = this.applied.get(refKey(ref));
    if (!applied) return false;
    return (
      object.metadata?.uid !== applied.uid ||
      (object.metadata?.generation ?? 0) < applied.generation
    );
  }

  /** A workload's primary object, read afresh when the watched copy is older than our last apply. */
  private async currentPrimary(
    ref: WorkloadRef,
    caches: NamespaceCaches,
  ): Promise<Primary | undefined> {
    const kind = primaryKind(ref.kind);
    const cached: Primary | undefined = caches[kind].get(ref.name, ref.namespace);
    if (cached && !this.isStale(ref, cached)) return { ...cached, kind } as Primary;
    const read = await this.readObject<Primary>(spec(kind, ref.namespace, ref.name));
    return read && ({ ...read, kind } as Primary);
  }

  private podsOf(ref: WorkloadRef, primary: Primary, pods: V1Pod[]): V1Pod[] {
    if (ref.kind === 'job') {
      // A changed job is a new Job under the same name, while the old one's pods linger (garbage
      // collection, a grace period, finalizers) with the same job-name label: only the pods this
      // Job controls are its run.
      const uid = primary.metadata?.uid;
      return pods.filter((pod) =>
        pod.metadata?.ownerReferences?.some((owner) => owner.controller && owner.uid === uid),
      );
    }
    return pods.filter((pod) => {
      const labels = pod.metadata?.labels ?? {};
      if (ref.kind === 'cronjob')
        return labels[SELECTOR_LABEL] === ref.name && Boolean(labels['job-name']);
      return labels[SELECTOR_LABEL] === ref.name && !labels['job-name'];
    });
  }

  private address(deployment: V1Deployment, ref: WorkloadRef): string {
    const port =
      deployment.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort ??
      DEFAULT_SERVICE_PORT;
    return `http://${ref.name}.${ref.namespace}.svc.cluster.local:${port}`;
  }

  /**
   * The namespace's ReplicaSets, to tell a Deployment's current pods from those it is replacing.
   * Undefined when Slipway may not read them (a ClusterRole from before it needed to): health is
   * then judged on all of a Deployment's pods, and the log says once what to grant.
   */
  private async replicaSets(
    namespace: string,
    caches: NamespaceCaches,
  ): Promise<V1ReplicaSet[] | undefined> {
    if (caches.replicaSets === 'forbidden') return undefined;
    caches.replicaSets ??= new WatchedCollection(
      this.options.kubeConfig,
      `/apis/apps/v1/namespaces/${namespace}/replicasets`,
      () => this.apps.listNamespacedReplicaSet({ namespace, labelSelector: MANAGED }),
      MANAGED,
      this.logger.child({ namespace }),
      this.notify,
    );
    const collection = caches.replicaSets;
    try {
      await collection.ensureStarted();
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === 'FORBIDDEN')) throw error;
      collection.stop();
      caches.replicaSets = 'forbidden';
      if (!this.toldReplicaSetsForbidden) {
        this.toldReplicaSetsForbidden = true;
        this.logger.warn(
          { namespace, reason: error.message },
          'cannot read ReplicaSets: a Deployment is judged on all its pods, old ones included; apply deploy/rbac.yaml to let Slipway read them',
        );
      }
      return undefined;
    }
    return collection.list(namespace);
  }

  private async cachesFor(namespace: string): Promise<NamespaceCaches> {
    let caches = this.caches.get(namespace);
    if (!caches) {
      const kc = this.options.kubeConfig;
      const child = this.logger.child({ namespace });
      caches = {
        Job: new WatchedCollection(
          kc,
          `/apis/batch/v1/namespaces/${namespace}/jobs`,
          () => this.batch.listNamespacedJob({ namespace, labelSelector: MANAGED }),
          MANAGED,
          child,
          this.notify,
        ),
        CronJob: new WatchedCollection(
          kc,
          `/apis/batch/v1/namespaces/${namespace}/cronjobs`,
          () => this.batch.listNamespacedCronJob({ namespace, labelSelector: MANAGED }),
          MANAGED,
          child,
          this.notify,
        ),
        Deployment: new WatchedCollection(
          kc,
          `/apis/apps/v1/namespaces/${namespace}/deployments`,
          () => this.apps.listNamespacedDeployment({ namespace, labelSelector: MANAGED }),
          MANAGED,
          child,
          this.notify,
        ),
        pods: new WatchedCollection(
          kc,
          `/api/v1/namespaces/${namespace}/pods`,
          () => this.core.listNamespacedPod({ namespace, labelSelector: MANAGED }),
          MANAGED,
          child,
          this.notify,
        ),
      };
      this.caches.set(namespace, caches);
    }
    const all = caches;
    await Promise.all(
      [all.Job, all.CronJob, all.Deployment, all.pods].map((collection) =>
        collection.ensureStarted(),
      ),
    );
    return all;
  }

  /** An API call with retries; with `allowMissing`, a 404 answers undefined. */
  private async call<T>(
    what: string,
    fn: () => Promise<T>,
    allowMissing = false,
  ): Promise<T | undefined> {
    try {
      return await withRetries(what, fn, this.retry);
    } catch (error) {
      if (allowMissing && error instanceof SlipwayError && error.code === 'NOT_FOUND')
        return undefined;
      if (allowMissing && statusCode((error as { cause?: unknown }).cause) === 404)
        return undefined;
      throw error;
    }
  }
}

/**
 * Refuses, before anything is applied, to apply over objects Slipway did not make: a forced
 * server-side apply would take them over (their selector replaced, fields of theirs kept beside
 * Slipway's), or fail half-way on a field they made immutable.
 */
function refuseTakeover(rendered: KubernetesObject[], foreign: ReadonlySet<string>): void {
  const taken = rendered.filter((o) => foreign.has(objectKey(o)));
  if (taken.length === 0) return;
  const names = taken.map((o) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`);
  const many = names.length > 1;
  throw new SlipwayError(
    'CONFLICT',
    `${names.join(', ')} ${many ? 'are' : 'is'} in the cluster, but not Slipway's (no ${LABELS.managedBy}=${MANAGED_BY_VALUE} label): Slipway takes over nothing it did not make. Delete or rename ${many ? 'them' : 'it'}, or give the task${many ? 's' : ''} another name; nothing was applied`,
  );
}

function spec(kind: keyof typeof API_VERSION, namespace: string, name: string): KubernetesObject {
  return { apiVersion: API_VERSION[kind], kind, metadata: { name, namespace } };
}

function kindOf(object: KubernetesObject): WorkloadKind {
  const label = object.metadata?.labels?.[KIND_LABEL];
  if (label === 'job' || label === 'cronjob' || label === 'deployment' || label === 'service')
    return label;
  return object.kind === 'Job' ? 'job' : object.kind === 'CronJob' ? 'cronjob' : 'deployment';
}

function refKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

function objectKey(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata?.namespace}/${object.metadata?.name}`;
}

/** `namespace/name` of every Deployment a HorizontalPodAutoscaler scales. */
function autoscaledDeployments(objects: Iterable<KubernetesObject>): Set<string> {
  const targets = new Set<string>();
  for (const object of objects) {
    if (object.kind !== 'HorizontalPodAutoscaler') continue;
    const { spec: hpa } = object as {
      spec?: { scaleTargetRef?: { kind?: string; name?: string } };
    };
    if (hpa?.scaleTargetRef?.kind === 'Deployment')
      targets.add(`${object.metadata?.namespace}/${hpa.scaleTargetRef.name}`);
  }
  return targets;
}

/**
 * A workload's objects, where a Deployment that a HorizontalPodAutoscaler scales keeps the
 * replica count it has now: the autoscaler owns that count, and a deploy must neither reset it
 * to the manifest's nor call the difference drift.
 */
function renderKeepingScale(
  workload: Workload,
  current: Map<string, KubernetesObject>,
  autoscaled: Set<string>,
): KubernetesObject[] {
  const rendered = renderObjects(workload);
  if (!autoscaled.has(`${workload.namespace}/${workload.name}`)) return rendered;
  const live = current.get(objectKey(spec('Deployment', workload.namespace, workload.name)));
  const replicas = (live as V1Deployment | undefined)?.spec?.replicas;
  if (replicas === undefined) return rendered;
  return rendered.map((object) => {
    if (object.kind !== 'Deployment') return object;
    const deployment = object as V1Deployment;
    return { ...deployment, spec: { ...deployment.spec, replicas } } as V1Deployment;
  });
}

function isoOf(value: Date | string | undefined): string {
  if (!value) return '';
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** Runs `fn` over `items` with at most `limit` at once, keeping their order in the result. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Replica counts that split `instances` by weight: every workload with a share gets at least one
 * replica, one without gets none.
 *
 * @example
 * proportionalReplicas(4, [{ workload: 'a', weight: 70 }, { workload: 'b', weight: 30 }]) // a: 3, b: 1
 */
export function proportionalReplicas(
  instances: number,
  weights: TrafficWeight[],
): Map<string, number> {
  const result = new Map<string, number>();
  const total = weights.reduce((sum, w) => sum + w.weight, 0) || 1;
  let given = 0;
  const sorted = [...weights].sort((a, b) => a.weight - b.weight);
  sorted.forEach((w, i) => {
    const last = i === sorted.length - 1;
    const share = last
      ? Math.max(instances - given, 0)
      : Math.round((instances * w.weight) / total);
    const replicas = w.weight > 0 ? Math.max(share, 1) : 0;
    result.set(w.workload, replicas);
    given += replicas;
  });
  return result;
}

/**
 * Whether a Service's live ports are other than the ones rendered: by name, port and protocol
 * (the API server fills in the rest).
 */
function portsDrifted(object: KubernetesObject, current: Map<string, KubernetesObject>): boolean {
  if (object.kind !== 'Service') return false;
  const live = current.get(objectKey(object));
  if (!live) return false;
  const shape = (o: KubernetesObject) =>
    JSON.stringify(
      ((o as { spec?: { ports?: Record<string, unknown>[] } }).spec?.ports ?? []).map((p) => [
        p.name ?? '',
        p.port,
        p.protocol ?? 'TCP',
      ]),
    );
  return shape(live) !== shape(object);
}
