import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../core/store/types.js';
import { type Clock, type Job, TERMINAL_JOB_STATUSES } from '../core/types.js';
import {
  type DriftCheck,
  driftState,
  PAUSES,
  type WorkspacePause,
} from '../core/workspaces/index.js';

/** Slipway's Prometheus metrics (`GET /metrics`), one registry per process. */
export interface Metrics {
  registry: Registry;
  /** HTTP requests by method, route pattern and status. */
  http: Histogram<'method' | 'route' | 'status'>;
  /** Webhook deliveries by event and what came of them. */
  webhooks: Counter<'source' | 'event' | 'outcome'>;
  /** Failed calls to the runtime's API (Kubernetes), retried or not. */
  runtimeErrors: Counter<'operation'>;
  /** Attempts to POST a notification (SLIPWAY_NOTIFY_URL), by what became of them. */
  notifications: Counter<'outcome'>;
  /** Observes a job change: a job that ended adds its duration. */
  jobChanged(job: Job): void;
}

/**
 * The metrics: HTTP latency by route, jobs by type and status, queue depth and the age of the
 * oldest queued job (read from the store at scrape time, so they are right after a restart),
 * job durations, webhook deliveries and runtime API errors, plus the process's own.
 */
export function createMetrics(store: Store, clock: Clock): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const http = new Histogram({
    name: 'slipway_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'slipway_webhook_deliveries_total',
    help: 'Webhook deliveries by source, event (a known event, other, or unverified when refused) and outcome (queued, held while the workspace is paused, redelivery, ignored, refused)',
    labelNames: ['source', 'event', 'outcome'] as const,
    registers: [registry],
  });
  const runtimeErrors = new Counter({
    name: 'slipway_runtime_api_errors_total',
    help: 'Failed runtime (Kubernetes) API calls, including retried ones',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'slipway_notifications_total',
    help: 'Attempts to POST a notification to SLIPWAY_NOTIFY_URL, by outcome (sent, retried, failed: given up)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'slipway_job_duration_seconds',
    help: 'Time from start to end of jobs (deploys, pipelines, rollouts) by type and status',
    labelNames: ['type', 'status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  new Gauge({
    name: 'slipway_jobs',
    help: 'Jobs in the store by type and status',
    labelNames: ['type', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { type, status, count } of store.countJobs()) this.set({ type, status }, count);
    },
  });
  new Gauge({
    name: 'slipway_queue_depth',
    help: 'Jobs waiting to run (QUEUED)',
    registers: [registry],
    collect() {
      const queued = store.countJobs().filter((c) => c.status === 'QUEUED');
      this.set(queued.reduce((sum, c) => sum + c.count, 0));
    },
  });
  new Gauge({
    name: 'slipway_queue_oldest_age_seconds',
    help: 'Age of the oldest QUEUED job; 0 when none waits',
    registers: [registry],
    collect() {
      const oldest = store.listJobs(
        { status: ['QUEUED'] },
        { offset: 0, limit: 1, sort: { field: 'created', direction: 'asc' } },
      ).items[0];
      this.set(oldest ? Math.max(0, (clock.now() - Date.parse(oldest.created)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'slipway_workspace_drifted_workloads',
    help: 'Workloads of a workspace not as its deployed commit has them, by the last drift check (SLIPWAY_DRIFT_SECONDS); workspaces whose last check no longer tells (never checked, deployed since, not READY) are left out',
    labelNames: ['workspace'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const check of store.listRecords<DriftCheck>('workspace-drift')) {
        const workspace = store.getWorkspace(check.workspaceId);
        if (!workspace) continue;
        if (driftState(store, workspace, clock.now(), check).status !== 'UNKNOWN') {
          this.set({ workspace: workspace.name }, check.drifted.length);
        }
      }
    },
  });
  new Gauge({
    name: 'slipway_workspace_paused_seconds',
    help: "How long a workspace's deploys have been paused (PUT /api/workspaces/{id}/paused); workspaces not paused are left out: alert on a freeze forgotten",
    labelNames: ['workspace'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const pause of store.listRecords<WorkspacePause>(PAUSES)) {
        const workspace = store.getWorkspace(pause.workspaceId);
        if (!workspace) continue;
        const seconds = Math.max(0, (clock.now() - Date.parse(pause.since)) / 1000);
        this.set({ workspace: workspace.name }, Math.round(seconds));
      }
    },
  });
  return {
    registry,
    http,
    webhooks,
    runtimeErrors,
    notifications,
    jobChanged(job) {
      if (!TERMINAL_JOB_STATUSES.includes(job.status) || !job.startTime) return;
      const end = job.endTime ? Date.parse(job.endTime) : clock.now();
      durations.observe(
        { type: job.type, status: job.status },
        (end - Date.parse(job.startTime)) / 1000,
      );
    },
  };
}
