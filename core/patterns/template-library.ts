import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';

export type TemplateKind = 'task' | 'pipeline';

export interface Template {
  /** Path relative to the templates directory, `/`-separated. */
  path: string;
  kind: TemplateKind;
  content: Record<string, unknown>;
}

/**
 * The task and pipeline templates in SLIPWAY_TEMPLATES_DIR: `.json` files, a pipeline template
 * being one with a `tasks` list. A path that leaves the directory is refused.
 */
export class TemplateLibrary {
  constructor(private readonly dir: string) {}

  /** The paths of the templates of one kind, sorted; files that are not JSON objects are left out. */
  async list(kind: TemplateKind): Promise<string[]> {
    const all = await this.files();
    const paths: string[] = [];
    for (const file of all) {
      const template = await this.parse(file).catch(() => undefined);
      if (template?.kind === kind) paths.push(file);
    }
    return paths;
  }

  /** One template by its path; PATH_INVALID for a path leaving the directory, NOT_FOUND otherwise. */
  async read(templatePath: string, kind?: TemplateKind): Promise<Template> {
    const relative = await this.safePath(templatePath);
    let template: Template;
    try {
      template = await this.parse(relative);
    } catch (error) {
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError(
        'NOT_FOUND',
        `template '${templatePath}' not found in SLIPWAY_TEMPLATES_DIR`,
      );
    }
    if (kind && template.kind !== kind) {
      throw new SlipwayError(
        'NOT_FOUND',
        `template '${templatePath}' is a ${template.kind} template, not a ${kind} template`,
      );
    }
    return template;
  }

  /** Every `.json` file under the directory (none when it does not exist), sorted. */
  async files(): Promise<string[]> {
    let entries: { name: string; parentPath: string; isFile(): boolean }[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true, recursive: true });
    } catch {
      return [];
    }
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) =>
        path.relative(this.dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
      )
      .sort();
  }

  private async parse(relative: string): Promise<Template> {
    const text = await readFile(path.join(this.dir, relative), 'utf8');
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch (error) {
      throw new SlipwayError(
        'BAD_REQUEST',
        `template '${relative}' is not valid JSON: ${(error as Error).message}`,
        { status: 422 },
      );
    }
    if (!content || typeof content !== 'object' || Array.isArray(content)) {
      throw new SlipwayError('BAD_REQUEST', `template '${relative}' is not a JSON object`, {
        status: 422,
      });
    }
    // A pattern file's `deployments` list says where instances go; it is not part of the template.
    const { deployments: _deployments, ...template } = content as Record<string, unknown>;
    return {
      path: relative,
      kind: Array.isArray(template.tasks) ? 'pipeline' : 'task',
      content: template,
    };
  }

  private async safePath(templatePath: string): Promise<string> {
    const refuse = (why: string) =>
      new SlipwayError(
        'PATH_INVALID',
        `template_path "${templatePath}" ${why}; expected a file name inside SLIPWAY_TEMPLATES_DIR`,
      );
    if (!templatePath || templatePath.includes('\0') || templatePath.includes('\\'))
      throw refuse('is not a file name');
    if (path.isAbsolute(templatePath)) throw refuse('is absolute');
    if (templatePath.split('/').includes('..')) throw refuse('contains ".."');
    const full = path.join(this.dir, templatePath);
    try {
      const [root, real] = await Promise.all([realpath(this.dir), realpath(full)]);
      if (real !== root && !real.startsWith(`${root}${path.sep}`))
        throw refuse('leads outside the templates directory');
      return path.relative(root, real).split(path.sep).join('/');
    } catch (error) {
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError(
        'NOT_FOUND',
        `template '${templatePath}' not found in SLIPWAY_TEMPLATES_DIR`,
      );
    }
  }
}
