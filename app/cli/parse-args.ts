/** A command line that cannot be carried out as written: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  /** Words that are not flags, in order (`deployment`, `read`, `42`). */
  words: string[];
  /**
   * `--name value` and `--name=value`; a flag given without a value is `true`. A switch (a flag
   * listed as boolean) is `true` or `false`: `--plan`, `--plan=true` or `--plan=false`.
   */
  flags: Map<string, string | boolean>;
}

/**
 * Splits argv into words and flags. Which flags take a value is the caller's knowledge, so a
 * flag followed by a word takes it unless it is listed as boolean.
 *
 * @example
 * parseArgs(['deployment', 'read', '--id', '7', '--include_messages'], new Set(['include_messages']))
 * // {words: ['deployment', 'read'], flags: Map {id => '7', include_messages => true}}
 */
export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string>): ParsedArgs {
  const words: string[] = [];
  const flags = new Map<string, string | boolean>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === '')
      throw new UsageError(`"${arg}" is not a flag; expected --name or --name=value`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice; give it once`);
    if (eq !== -1 && booleans.has(name)) {
      flags.set(name, switchValue(name, arg.slice(eq + 1)));
    } else if (eq !== -1) {
      flags.set(name, arg.slice(eq + 1));
    } else if (booleans.has(name)) {
      flags.set(name, true);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        flags.set(name, true);
      } else {
        flags.set(name, next);
        i += 1;
      }
    }
  }
  return { words, flags };
}

/** `--plan=true` or `--plan=false`; any other value is refused, never read as off (or on). */
function switchValue(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(
    `--${name} is "${value}"; expected --${name}, --${name}=true or --${name}=false`,
  );
}
