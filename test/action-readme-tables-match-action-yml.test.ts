import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readmeWithTables } from '../scripts/action-readme.js';
import { ROOT } from './helpers/server.js';

describe('the README documents the Action as action.yml declares it', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const action = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');

  it('has the inputs and outputs tables made from action.yml (else: npm run docs:action)', () => {
    expect(readmeWithTables(readme, action)).toBe(readme);
  });

  it('shows every command in a workflow example whose YAML parses', () => {
    const section = readme.slice(
      readme.indexOf('## The GitHub Action'),
      readme.indexOf('## REST API'),
    );
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    for (const block of blocks) expect(() => parse(block)).not.toThrow();
    const commands = (
      parse(action) as { inputs: { command: { description: string } } }
    ).inputs.command.description.match(/[a-z]+-[a-z]+|finalize|cancel/g) as string[];
    for (const command of commands) expect(section).toContain(command);
  });
});
