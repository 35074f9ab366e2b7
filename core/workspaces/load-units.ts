import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  locate,
  type PipelineConfig,
  parseJsonSource,
  parsePipelineConfig,
  parseTaskManifest,
  type TaskManifest,
} from '../config/index.js';
import { isSlipwayError, type Problem } from '../errors.js';
import { discoverUnits, resolveUnitFile } from '../source/index.js';

export interface LoadedTask {
  manifest: TaskManifest;
  /** Directory relative to the checkout root. */
  directory: string;
  file: string;
}

export interface LoadedPipeline {
  pipeline: PipelineConfig;
  directory: string;
  file: string;
}

export interface LoadedUnits {
  tasks: LoadedTask[];
  pipelines: LoadedPipeline[];
  /** Every problem of every file; empty when all units are valid. */
  problems: Problem[];
}

/**
 * Finds and parses every `manifest.json` and `pipeline.json` of a checkout, collecting every
 * problem of every file (DESIGN.md section 4: validate before apply) instead of stopping at the
 * first. Two tasks with the same name are a problem too: they would overwrite each other.
 */
export async function loadUnits(root: string): Promise<LoadedUnits> {
  const units = await discoverUnits(root);
  const tasks: LoadedTask[] = [];
  const pipelines: LoadedPipeline[] = [];
  const problems: Problem[] = [];
  /** Where each valid file's `name` stands, for a duplicate name's problem. */
  const names = new Map<string, { line: number; column: number } | undefined>();
  for (const unit of units) {
    let file = path.join(root, unit.file);
    if (unit.symlink) {
      try {
        file = await resolveUnitFile(root, unit.file);
      } catch (error) {
        if (!isSlipwayError(error)) throw error;
        problems.push({ file: unit.file, message: error.message });
        continue;
      }
    }
    const text = await readFile(file, 'utf8');
    if (unit.kind === 'task') {
      const parsed = parseTaskManifest(text, unit.file);
      if (parsed.ok) {
        tasks.push({ manifest: parsed.manifest, directory: unit.directory, file: unit.file });
        names.set(unit.file, nameAt(text, unit.file));
      } else problems.push(...parsed.problems);
    } else {
      const parsed = parsePipelineConfig(text, unit.file);
      if (parsed.ok) {
        pipelines.push({ pipeline: parsed.pipeline, directory: unit.directory, file: unit.file });
        names.set(unit.file, nameAt(text, unit.file));
      } else problems.push(...parsed.problems);
    }
  }
  problems.push(
    ...duplicateNames(
      tasks.map((t) => ({ name: t.manifest.name, file: t.file })),
      'task',
    ).map((p) => ({ ...p, ...names.get(p.file ?? '') })),
  );
  problems.push(
    ...duplicateNames(
      pipelines.map((p) => ({ name: p.pipeline.name, file: p.file })),
      'pipeline',
    ).map((p) => ({ ...p, ...names.get(p.file ?? '') })),
  );
  return { tasks, pipelines, problems };
}

/** The line and column of the value of a file's top-level `name`. */
function nameAt(text: string, file: string): { line: number; column: number } | undefined {
  const parsed = parseJsonSource(text, file);
  return parsed.ok ? locate(parsed.source, ['name']) : undefined;
}

function duplicateNames(units: { name: string; file: string }[], kind: string): Problem[] {
  const first = new Map<string, string>();
  const problems: Problem[] = [];
  for (const unit of units) {
    const earlier = first.get(unit.name);
    if (earlier === undefined) first.set(unit.name, unit.file);
    else {
      problems.push({
        file: unit.file,
        path: 'name',
        message: `${kind} name "${unit.name}" is already used by ${earlier}; expected a unique name`,
      });
    }
  }
  return problems;
}
