import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem } from '../config/index.js';
import { type Problem, SlipwayError } from '../errors.js';
import type { Store } from '../store/types.js';
import { type Logger, silentLogger } from '../types.js';
import {
  type DefinitionType,
  type DeploymentDefinition,
  type PatternFile,
  parsePatternFile,
} from './pattern-file.js';
import { type TemplateKind, TemplateLibrary } from './template-library.js';

/** A pattern as the MetaKraftwerk surface shows it; an invalid file is a pattern with problems. */
export interface PatternView {
  id: number;
  name: string;
  file: string;
  kind: TemplateKind | null;
  valid: boolean;
  problems: Problem[];
  template: Record<string, unknown> | null;
  deployments: DefinitionView[];
}

export interface DefinitionView {
  id: number;
  pattern_id: number;
  pattern: string;
  name: string;
  type: DefinitionType;
  definition: DeploymentDefinition;
}

export interface DefinitionFilter {
  pattern?: string;
  patternId?: number;
  name?: string;
}

interface Cached {
  mtimeMs: number;
  size: number;
  parsed: { ok: true; pattern: PatternFile } | { ok: false; problems: Problem[] };
}

/**
 * Patterns and their deployment definitions (DESIGN.md 7.3), read from the pattern files in
 * SLIPWAY_TEMPLATES_DIR: a pattern's name is its file's path without `.json`. Ids are integers
 * kept in the store, so they survive restarts and edits, and a removed definition's id is never
 * given to another. A file is parsed again only when it changed.
 */
export class PatternCatalog {
  private readonly library: TemplateLibrary;
  private readonly cache = new Map<string, Cached>();
  private readonly logger: Logger;

  constructor(
    private readonly dir: string,
    private readonly store: Store,
    logger?: Logger,
  ) {
    this.library = new TemplateLibrary(dir);
    this.logger = logger ?? silentLogger;
  }

  /** Every pattern file, valid or not, by id. */
  async patterns(): Promise<PatternView[]> {
    const views: PatternView[] = [];
    for (const file of await this.library.files()) views.push(await this.view(file));
    return views.sort((a, b) => a.id - b.id);
  }

  /** Reads every file once and logs each invalid one with its problems (at start). */
  async report(): Promise<PatternView[]> {
    const all = await this.patterns();
    for (const pattern of all.filter((p) => !p.valid)) {
      this.logger.warn(
        { file: pattern.file, problems: pattern.problems.map(formatProblem) },
        `pattern file ${pattern.file} is invalid: its pattern is listed with valid false and its problems, and cannot be deployed`,
      );
    }
    return all;
  }

  async byId(id: number): Promise<PatternView> {
    const found = (await this.patterns()).find((p) => p.id === id);
    if (!found) throw new SlipwayError('NOT_FOUND', `No record found for id '${id}'`);
    return found;
  }

  async byName(name: string): Promise<PatternView> {
    const found = (await this.patterns()).find((p) => p.name === name);
    if (!found)
      throw new SlipwayError('NOT_FOUND', `A pattern with the name '${name}' does not exist!`);
    return found;
  }

  /** Definitions of valid patterns; every given filter must hold (an unknown pattern is NOT_FOUND). */
  async deployments(filter: DefinitionFilter = {}): Promise<DefinitionView[]> {
    let patterns = await this.patterns();
    if (filter.pattern !== undefined) patterns = [await this.byName(filter.pattern)];
    if (filter.patternId !== undefined) {
      const byId = await this.byId(filter.patternId);
      patterns = patterns.filter((p) => p.id === byId.id);
    }
    return patterns
      .flatMap((p) => p.deployments)
      .filter((d) => filter.name === undefined || d.name === filter.name)
      .sort((a, b) => a.id - b.id);
  }

  async deployment(id: number): Promise<DefinitionView> {
    const found = (await this.deployments()).find((d) => d.id === id);
    if (!found) throw new SlipwayError('NOT_FOUND', `No record found for id '${id}'`);
    return found;
  }

  private async view(file: string): Promise<PatternView> {
    const name = file.replace(/\.json$/, '');
    const id = this.store.stableId('patterns', name);
    const parsed = await this.parse(file);
    if (!parsed.ok) {
      return {
        id,
        name,
        file,
        kind: null,
        valid: false,
        problems: parsed.problems,
        template: null,
        deployments: [],
      };
    }
    const { pattern } = parsed;
    return {
      id,
      name,
      file,
      kind: pattern.kind,
      valid: true,
      problems: [],
      template: pattern.template,
      deployments: pattern.deployments.map((definition) => ({
        id: this.store.stableId('pattern-deployments', `${name}\u0000${definition.name}`),
        pattern_id: id,
        pattern: name,
        name: definition.name,
        type: definition.type,
        definition,
      })),
    };
  }

  private async parse(file: string): Promise<Cached['parsed']> {
    const full = path.join(this.dir, file);
    const info = await stat(full);
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size)
      return cached.parsed;
    const parsed = parsePatternFile(await readFile(full, 'utf8'), file);
    this.cache.set(file, { mtimeMs: info.mtimeMs, size: info.size, parsed });
    return parsed;
  }
}
