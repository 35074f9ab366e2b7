import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START = '<!-- action-inputs: generated from action.yml by `npm run docs:action` -->';
const END = '<!-- /action-inputs -->';

interface ActionYaml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

/** The inputs and outputs tables of the README, made from `action.yml`. */
export function actionTables(actionYaml: string): string {
  const action = parse(actionYaml) as ActionYaml;
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').trim();
  const inputs = Object.entries(action.inputs).map(
    ([name, input]) =>
      `| \`${name}\` | ${input.required ? 'yes' : 'no'} | ${input.default !== undefined ? `\`${input.default}\`` : ''} | ${cell(input.description)} |`,
  );
  const outputs = Object.entries(action.outputs).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
  );
  return [
    START,
    '| input | required | default | meaning |',
    '|---|---|---|---|',
    ...inputs,
    '',
    '| output | meaning |',
    '|---|---|',
    ...outputs,
    END,
  ].join('\n');
}

/** The README with its tables made anew; throws when the README has no place for them. */
export function readmeWithTables(readme: string, actionYaml: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1)
    throw new Error(`README.md needs the markers ${START} and ${END}`);
  return `${readme.slice(0, start)}${actionTables(actionYaml)}${readme.slice(end + END.length)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.join(ROOT, 'README.md');
  const action = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
  writeFileSync(file, readmeWithTables(readFileSync(file, 'utf8'), action));
}
