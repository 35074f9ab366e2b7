import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  NAME_PATTERN,
  type PipelineConfig,
  parsePipelineConfig,
  parseTaskManifest,
  type TaskManifest,
} from '../config/index.js';
import { type Problem, SlipwayError } from '../errors.js';
import {
  type Checkout,
  redact,
  resolveUnitDirectory,
  type SourceFetcher,
} from '../source/index.js';
import { resolveUnitFile } from '../source/paths.js';

/** Where a unit lives: a repository, a directory in it, a branch (or an exact commit). */
export interface UnitLocation {
  repository: string;
  directory: string;
  branch: string;
  commit?: string | null;
}

/** A unit's directory in a fetched checkout, before any of its files is read. */
export interface LocatedUnit {
  checkout: Checkout;
  /** Absolute directory of the unit inside the checkout. */
  dir: string;
  /** The directory as given, relative to the checkout root. */
  directory: string;
  /** `<repository>@<short commit>` for messages, credentials in the URL masked. */
  label: string;
}

export interface LoadedUnit<T> extends LocatedUnit {
  value: T;
  /** The file's JSON as written (what a client gets back from configuration loading). */
  raw: unknown;
}

/**
 * Fetches `location` and resolves its directory inside the checkout (a path leaving it is
 * PATH_INVALID, a missing one NOT_FOUND), reading no file of it: the code of a task whose
 * manifest comes from elsewhere (DataTask `with-configuration`, seed 001).
 */
export async function locateUnit(
  source: SourceFetcher,
  location: UnitLocation,
  signal?: AbortSignal,
): Promise<LocatedUnit> {
  const checkout = await source.fetch(location.repository, location.branch, {
    ...(location.commit ? { commit: location.commit } : {}),
    ...(signal ? { signal } : {}),
  });
  const label = `${redact(location.repository)}@${checkout.commit.slice(0, 12)}`;
  const dir = await resolveUnitDirectory(checkout.dir, location.directory, label);
  const directory = path.relative(checkout.dir, dir).split(path.sep).join('/') || '.';
  return { checkout, dir, directory, label };
}

/** Fetches `location` and validates its `manifest.json`: problems name file, path and line. */
export function loadTaskFromGit(
  source: SourceFetcher,
  location: UnitLocation,
  signal?: AbortSignal,
): Promise<LoadedUnit<TaskManifest>> {
  return loadUnit(
    source,
    location,
    'manifest.json',
    (text, file) => {
      const parsed = parseTaskManifest(text, file);
      return parsed.ok ? { ok: true, value: parsed.manifest } : parsed;
    },
    signal,
  );
}

/** Fetches `location` and validates its `pipeline.json` (shape and DAG). */
export function loadPipelineFromGit(
  source: SourceFetcher,
  location: UnitLocation,
  signal?: AbortSignal,
): Promise<LoadedUnit<PipelineConfig>> {
  return loadUnit(
    source,
    location,
    'pipeline.json',
    (text, file) => {
      const parsed = parsePipelineConfig(text, file);
      return parsed.ok ? { ok: true, value: parsed.pipeline } : parsed;
    },
    signal,
  );
}

type Parse<T> = (
  text: string,
  file: string,
) => { ok: true; value: T } | { ok: false; problems: Problem[] };

async function loadUnit<T>(
  source: SourceFetcher,
  location: UnitLocation,
  fileName: string,
  parse: Parse<T>,
  signal?: AbortSignal,
): Promise<LoadedUnit<T>> {
  const located = await locateUnit(source, location, signal);
  const { checkout, directory, label } = located;
  const file = directory === '.' ? fileName : `${directory}/${fileName}`;
  // The file is resolved like its directory: a manifest.json linking out of the checkout would
  // deploy, or hand back, a file of this machine's (DESIGN.md section 6).
  const real = await resolveUnitFile(checkout.dir, file, label);
  let text: string;
  try {
    text = await readFile(real, 'utf8');
  } catch {
    throw new SlipwayError('NOT_FOUND', `${file} not found in ${label}`);
  }
  const parsed = parse(text, file);
  if (!parsed.ok) {
    const unit = fileName === 'manifest.json' ? 'MANIFEST_INVALID' : 'PIPELINE_INVALID';
    throw new SlipwayError(
      unit,
      `${file} in ${label} is invalid: ${parsed.problems.map((p) => p.message).join('; ')}`,
      {
        problems: parsed.problems,
      },
    );
  }
  return { ...located, value: parsed.value, raw: JSON.parse(text) };
}

/**
 * The namespace a repository deploys to by default (the DataTask seed: namespace = repository):
 * its last path segment without `.git`.
 *
 * @example
 * defaultNamespace('https://github.com/acme/data-jobs.git') // 'data-jobs'
 */
export function defaultNamespace(repository: string): string {
  const last = repository.replace(/\/+$/, '').split(/[/:]/).at(-1) ?? '';
  const name = last.replace(/\.git$/, '');
  if (!NAME_PATTERN.test(name) || name.length > 63) {
    throw new SlipwayError(
      'BAD_REQUEST',
      `namespace defaults to the repository name "${name}", which is not a valid namespace; expected lowercase letters, digits and '-' (give "namespace")`,
    );
  }
  return name;
}
