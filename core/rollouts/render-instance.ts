import path from 'node:path';
import type { TaskManifest } from '../config/index.js';
import { SlipwayError } from '../errors.js';
import { type EnvVar, LABELS, MANAGED_BY_VALUE, type Workload } from '../runtime/types.js';
import { digestUnit, type SourceFetcher } from '../source/index.js';
import { loadTaskFromGit } from '../tasks/load-unit.js';
import { specHash } from '../tasks/render-workload.js';
import type { Application, Asset, Build, Deployment, Release, Scope } from './model.js';

export interface InstanceSource {
  application: Application;
  build: Build;
  release: Release;
  scope: Scope;
  deployment: Deployment;
  asset: Asset;
}

/**
 * The service workload a deployment runs (DESIGN.md sections 5 and 7.4): the release's asset with
 * the scope's capabilities. A `docker-image` asset is the image; a `directory` asset is a
 * directory of the application's repository at the build's commit whose manifest.json says how
 * to run it (what the local runtime needs).
 */
export async function renderInstance(
  source: SourceFetcher,
  from: InstanceSource,
  signal?: AbortSignal,
): Promise<Workload> {
  const { application, build, release, scope, deployment, asset } = from;
  let manifest: TaskManifest | null = null;
  let workdir: string | null = null;
  let digest = `${asset.type}:${asset.url}`;
  let commit = build.commit.id ?? '';
  if (asset.type === 'directory') {
    if (!application.repository_url) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `asset '${asset.name}' is a directory, but application ${application.id} has no repository_url`,
      );
    }
    const ref = build.commit.id ?? build.branch;
    if (!ref)
      throw new SlipwayError(
        'BAD_REQUEST',
        `build ${build.id} has neither a commit nor a branch to fetch asset '${asset.name}' from`,
      );
    const directory = path.posix.join(application.repository_path || '.', asset.url);
    const loaded = await loadTaskFromGit(
      source,
      {
        repository: application.repository_url,
        directory,
        branch: build.branch ?? 'main',
        commit: build.commit.id,
      },
      signal,
    );
    if (loaded.value.type === 'job') {
      // It would run, exit, and be restarted as a crash until the deployment failed.
      throw new SlipwayError(
        'BAD_REQUEST',
        `asset '${asset.name}' is a job (${directory}/manifest.json says "type": "job"); a scope runs its release until another replaces it: expected "type": "service" (or "deployment")`,
      );
    }
    manifest = loaded.value;
    workdir = loaded.dir;
    digest = await digestUnit(loaded.checkout.dir, loaded.directory);
    commit = loaded.checkout.commit;
  }
  const caps = scope.capabilities;
  const base: Omit<Workload, 'specHash'> = {
    kind: 'service',
    namespace: scope.namespace,
    name: deployment.workload,
    labels: {
      ...(manifest?.labels ?? {}),
      [LABELS.managedBy]: MANAGED_BY_VALUE,
      [LABELS.scope]: scope.slug,
      [LABELS.deployment]: String(deployment.id),
      [LABELS.task]: deployment.workload,
    },
    image: asset.type === 'docker-image' ? asset.url : (manifest?.imageDestination ?? null),
    imagePullPolicy: manifest?.imagePullPolicy ?? null,
    command: manifest?.cmd ?? null,
    env: withReleaseVariables(manifest?.env ?? [], [
      { name: 'NP_RELEASE', value: release.semver },
      { name: 'NP_DEPLOYMENT', value: String(deployment.id) },
    ]),
    schedule: null,
    replicas: caps.instances,
    port: caps.port,
    resources: {
      ...(manifest?.cpuRequest ? { cpuRequest: manifest.cpuRequest } : {}),
      ...(manifest?.cpuLimit ? { cpuLimit: manifest.cpuLimit } : {}),
      ...(manifest?.memoryRequest ? { memoryRequest: manifest.memoryRequest } : {}),
      ...(manifest?.memoryLimit ? { memoryLimit: manifest.memoryLimit } : {}),
    },
    published: null,
    healthCheck: {
      path: caps.health_check.path,
      periodSeconds: caps.health_check.period_seconds,
      timeoutSeconds: caps.health_check.timeout_seconds,
      initialDelaySeconds: caps.health_check.initial_delay_seconds,
    },
    workdir,
    source: { repository: application.repository_url ?? '', commit, directory: asset.url, digest },
  };
  return { ...base, specHash: specHash(base) };
}

/**
 * The manifest's environment with Slipway's release variables in place of any it sets itself:
 * they say which release runs, as the local runtime's last-one-wins env already did, and a
 * Kubernetes apply that names a variable twice is refused (kubernetes/kubernetes#121575).
 */
function withReleaseVariables(manifest: EnvVar[], release: EnvVar[]): EnvVar[] {
  const names = new Set(release.map((variable) => variable.name));
  return [...manifest.filter((variable) => !names.has(variable.name)), ...release];
}
