/**
 * The nullplatform model (seed 003, DESIGN.md section 7.4): a release (semver) points at a build
 * (a commit and its assets); a scope is an environment; a deployment puts a release on a scope.
 * Field names are nullplatform's (snake_case); ids are integers.
 */

export const APPLICATION_STATUSES = ['active'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const BUILD_STATUSES = [
  'pending',
  'in_progress',
  'successful',
  'failed',
  'cancelled',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

export const RELEASE_STATUSES = ['active', 'inactive', 'deprecated'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export const ASSET_TYPES = ['docker-image', 'directory'] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

export const DEPLOYMENT_STATUSES = [
  'creating',
  'waiting_for_instances',
  'running',
  'finalizing',
  'finalized',
  'cancelling',
  'cancelled',
  'failed',
  'rolling_back',
  'rolled_back',
  'deleting',
  'deleted',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses a deployment does not leave (by itself or by a PATCH). */
export const ENDED_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'finalized',
  'cancelled',
  'failed',
  'rolled_back',
  'deleted',
];

export interface Application {
  id: number;
  name: string;
  repository_url: string | null;
  repository_path: string;
  status: ApplicationStatus;
  created_at: string;
  updated_at: string;
}

export interface Asset {
  id: number;
  build_id: number;
  name: string;
  /** `docker-image`: `url` is the image; `directory`: `url` is a directory of the application's repository. */
  type: AssetType;
  url: string;
  created_at: string;
}

export interface Build {
  id: number;
  application_id: number;
  status: BuildStatus;
  commit: { id: string | null; permalink: string | null };
  branch: string | null;
  description: string | null;
  assets: Asset[];
  created_at: string;
  updated_at: string;
}

export interface Release {
  id: number;
  application_id: number;
  build_id: number;
  semver: string;
  status: ReleaseStatus;
  created_at: string;
  updated_at: string;
}

export interface Capabilities {
  /** The port instances listen on (PORT on the local runtime). */
  port: number;
  health_check: {
    path: string;
    period_seconds: number;
    timeout_seconds: number;
    initial_delay_seconds: number;
  };
  /** Instances a release runs with. */
  instances: number;
  /** How long new instances may take to pass their health check before the deployment fails. */
  max_startup_seconds: number;
}

/** DESIGN.md 7.4: port 8080, /health every 10 s with a 5 s timeout after 30 s, 1 instance. */
export const DEFAULT_CAPABILITIES: Capabilities = {
  port: 8080,
  health_check: {
    path: '/health',
    period_seconds: 10,
    timeout_seconds: 5,
    initial_delay_seconds: 30,
  },
  instances: 1,
  max_startup_seconds: 600,
};

export interface Scope {
  id: number;
  application_id: number;
  name: string;
  /** The scope's name as a DNS label: its Service (Kubernetes) or proxy (local). */
  slug: string;
  namespace: string;
  type: 'kubernetes';
  status: 'active';
  asset_name: string | null;
  /** A Gateway API gateway (`name` or `namespace/name`): traffic weights go to an HTTPRoute. */
  gateway: string | null;
  capabilities: Capabilities;
  /** The finalized deployment serving the scope. */
  active_deployment: number | null;
  /** Where the scope answers, once something was deployed to it. */
  address: string | null;
  created_at: string;
  updated_at: string;
}

export interface StrategyData {
  switched_traffic: number;
  desired_switched_traffic: number;
  amount_instances_to_wait: number;
  launched_instances: number;
  healthy_instances: number;
}

export interface DeploymentMessage {
  date: string;
  level: 'info' | 'error';
  message: string;
}

export interface Deployment {
  id: number;
  application_id: number;
  scope_id: number;
  release_id: number;
  asset_name: string;
  status: DeploymentStatus;
  strategy: 'initial' | 'blue_green';
  strategy_data: StrategyData;
  /** The deployment it replaces (blue-green). */
  previous_deployment: number | null;
  /** The service workload running this release. */
  workload: string;
  messages: DeploymentMessage[];
  created_at: string;
  updated_at: string;
}

/** The workload a deployment runs as: `d-<scope>-<deployment>` (DESIGN.md section 5). */
export function deploymentWorkload(scope: Scope, deploymentId: number): string {
  return `d-${scope.slug}-${deploymentId}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * Semantic versioning 2.0.0, as a release's `semver` must be.
 *
 * @example
 * isSemver('1.2.0') // true
 * isSemver('1.2') // false
 */
export function isSemver(value: string): boolean {
  return /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/.test(
    value,
  );
}

/** A name as a DNS label: lowercase, other characters as '-', at most 40 (room for prefixes). */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}
