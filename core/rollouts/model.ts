import { createHash } from 'node:crypto';
import { foldToLatin } from '../config/index.js';

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

const IMAGE_REFERENCE = (() => {
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
  const name = `(?:${host}(?::[0-9]+)?/)?${component}(?:/${component})*`;
  const tag = '[\\w][\\w.-]{0,127}';
  const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
  return new RegExp(`^(${name})(?::${tag})?(?:@${digest})?$`);
})();

/**
 * An image reference as Docker and Kubernetes read one: `[registry[:port]/]name[:tag][@digest]`,
 * the grammar of distribution/reference (`reference.go`): lowercase path components joined by
 * `.`, `_`, `__` or dashes; a tag of up to 128 word characters, dots and dashes; a digest
 * `algorithm:hex` of 32 or more hex digits; at most 255 characters before the tag.
 *
 * @example
 * isImageReference('registry.example.com/shop/api:1.2.0') // true
 * isImageReference('https://registry.example.com/shop') // false
 */
export function isImageReference(value: string): boolean {
  const match = IMAGE_REFERENCE.exec(value);
  return match !== null && (match[1] ?? '').length <= 255;
}

/**
 * A directory of a repository as an asset or an application names it: relative, with no `..`
 * segment, backslash or NUL byte (DESIGN.md 6; symlinks are checked in the checkout, by
 * `resolveUnitDirectory`). `.` is the repository's root.
 *
 * @example
 * isRepositoryPath('services/api') // true
 * isRepositoryPath('../../etc') // false
 */
export function isRepositoryPath(value: string): boolean {
  return (
    !value.startsWith('/') &&
    !value.includes('\\') &&
    !value.includes('\0') &&
    !value.split('/').includes('..')
  );
}

/** The longest slug: room for the `d-` and `-<deployment id>` of a workload (63 in all). */
const MAX_SLUG = 40;

/**
 * A name as a Kubernetes name (a DNS label starting with a letter, at most 40 characters):
 * accents dropped (NFKD, marks removed), a few latin letters spelled out (ß -> ss), lowercase,
 * other characters as '-'. Letters and digits no label can hold (日本, ユニ) are not dropped
 * silently: the slug ends in a hash of the whole name, so it stays the same for the same name
 * and differs from the slug of its latin part alone. A slug that would start with a digit, or
 * hold nothing but the hash, starts with `prefix-`. '' for a name with no letter or digit.
 *
 * @example
 * slugOf('Café Crème', 'app') // 'cafe-creme'
 * slugOf('prod 日本', 'scope') // 'prod-' + 8 hex digits
 * slugOf('ユニ', 'scope') // 'scope-' + 8 hex digits
 * slugOf('2024', 'scope') // 'scope-2024'
 */
export function slugOf(name: string, prefix: string): string {
  const folded = foldToLatin(name);
  const lost = /[^a-z0-9]/.test(folded.replace(/[^\p{L}\p{N}]/gu, ''));
  const hash = lost
    ? createHash('sha256').update(name.normalize('NFC')).digest('hex').slice(0, 8)
    : '';
  const latin = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '');
  if (!latin && !hash) return '';
  const lead = /^[a-z]/.test(latin) ? '' : prefix;
  const room = MAX_SLUG - (lead ? lead.length + 1 : 0) - (hash ? hash.length + 1 : 0);
  return [lead, latin.slice(0, room).replace(/-+$/, ''), hash].filter(Boolean).join('-');
}
