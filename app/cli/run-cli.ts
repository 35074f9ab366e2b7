import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { adminTokenFile } from '../admin-token.js';
import { DEFAULT_DATA_DIR } from '../env.js';
import {
  ApiError,
  createApiClient,
  REQUEST_TIMEOUT_MS,
  serverUrl,
  UnreachableError,
} from './api-client.js';
import { type Command, stringFlag } from './command.js';
import { COMMANDS } from './commands.js';
import { parseArgs, UsageError } from './parse-args.js';
import { renderTable } from './render-table.js';

/** Exit codes a script can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stdout is a terminal: lists are then tables unless `--output json`. */
  stdoutIsTerminal?: boolean;
  stdout(text: string): void;
  /** Resolves once stdout has taken what was written (a slow reader holds a stream back). */
  drained?(): Promise<void>;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Aborted on Ctrl-C (SIGINT): the command stops, says what goes on, and exits 130. */
  interrupted?: AbortSignal;
}

const GLOBAL_FLAGS: Record<string, string> = {
  url: 'the Slipway server (default $SLIPWAY_URL, else http://127.0.0.1:3000)',
  token: 'the API token (default $SLIPWAY_TOKEN, else the admin token of a local server)',
  output:
    'json (as the server answers), or table (lists as columns, one thing as field: value); default table for a list on a terminal, else json',
  help: 'show this help',
};
const BODY_FLAG = "the request body: JSON, a file's path, or - for standard input";

/**
 * The `slipway` command line: `slipway <resource> <action> [--id N] [--body JSON|FILE] [flags]`.
 * Prints results as JSON on stdout, diagnostics on stderr, and returns the exit code: 0 done,
 * 1 the server refused or the awaited thing failed, 2 the command line is wrong, 3 the server
 * cannot be reached.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const booleans = new Set(['help', ...COMMANDS.flatMap((c) => c.booleans ?? [])]);
    const { words, flags } = parseArgs(argv, booleans);
    const [resource, action, positionalId, ...extra] = words;
    const help = flags.get('help') === true;
    if (!resource) {
      io.stdout(overallHelp());
      return help ? EXIT.ok : EXIT.usage;
    }
    const actions = COMMANDS.filter((c) => c.resource === resource);
    if (actions.length === 0) {
      throw new UsageError(
        `unknown resource "${resource}"; expected one of ${resourceNames().join(', ')} (see slipway --help)`,
      );
    }
    if (!action) {
      io.stdout(resourceHelp(resource));
      return help ? EXIT.ok : EXIT.usage;
    }
    const command = actions.find((c) => c.action === action);
    if (!command) {
      throw new UsageError(
        `unknown action "${action}" for ${resource}; expected one of ${actions.map((c) => c.action).join(', ')}`,
      );
    }
    if (help) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    return await untilInterrupted(io, (run) => execute(command, flags, positionalId, io, run));
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`slipway: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      io.stderr(`slipway: ${error.message}\n`);
      return EXIT.failed;
    }
    if (error instanceof UnreachableError) {
      io.stderr(`slipway: ${error.message}\n`);
      return EXIT.unreachable;
    }
    throw error;
  }
}

async function execute(
  command: Command,
  flags: Map<string, string | boolean>,
  positionalId: string | undefined,
  io: CliIo,
  { goesOn, done }: RunControl,
): Promise<number> {
  const known = new Set([
    'url',
    'token',
    'output',
    ...(command.id ? ['id'] : []),
    ...(command.body ? ['body'] : []),
    ...Object.keys(command.query ?? {}),
    ...Object.keys(command.options ?? {}),
  ]);
  for (const name of flags.keys()) {
    if (!known.has(name)) {
      throw new UsageError(
        `${command.resource} ${command.action} takes no --${name}; it takes ${[...known].map((k) => `--${k}`).join(', ')}`,
      );
    }
  }
  const flagId = flags.get('id');
  if (flagId !== undefined && positionalId !== undefined && flagId !== positionalId) {
    throw new UsageError(`the id is given twice ("${positionalId}" and --id ${String(flagId)})`);
  }
  if (positionalId !== undefined && !command.id) {
    throw new UsageError(`unexpected argument "${positionalId}"`);
  }
  const id = stringFlag(flags, 'id') ?? positionalId;
  // An empty id would address the list instead of one of its items.
  if (id !== undefined && id.trim() === '') throw new UsageError('--id needs a value');
  if (command.id === 'required' && id === undefined) {
    throw new UsageError(`${command.resource} ${command.action} needs --id`);
  }
  const bodySource = flags.has('body') ? flags.get('body') : undefined;
  if (command.body === 'required' && bodySource === undefined) {
    throw new UsageError(`${command.resource} ${command.action} needs --body (${BODY_FLAG})`);
  }
  const body = bodySource === undefined ? undefined : await readBody(bodySource, io);
  const query: Record<string, string | string[]> = {};
  for (const name of Object.keys(command.query ?? {})) {
    const value = stringFlag(flags, name);
    if (value === undefined) continue;
    query[name] = command.several?.includes(name)
      ? value.split(',').map((one) => one.trim())
      : value;
  }
  const options = new Map([...flags].filter(([name]) => name in (command.options ?? {})));
  const url = serverUrl(stringFlag(flags, 'url') ?? io.env.SLIPWAY_URL ?? 'http://127.0.0.1:3000');
  const output = stringFlag(flags, 'output');
  if (output !== undefined && output !== 'json' && output !== 'table') {
    throw new UsageError(`--output is "${output}"; expected json or table`);
  }
  const flagToken = stringFlag(flags, 'token');
  const token =
    flagToken !== undefined ? { value: flagToken, source: '--token' } : tokenFromEnv(url, io);
  const client = createApiClient(url, token?.value, {
    tokenSource: token?.source,
    requestTimeoutMs: requestTimeoutMs(io.env.SLIPWAY_REQUEST_TIMEOUT),
    signal: done,
  });
  const print = (text: string) => io.stdout(`${text}\n`);
  return command.run({
    client,
    id,
    body,
    query,
    options,
    print,
    drained: () => io.drained?.() ?? Promise.resolve(),
    printResult(result) {
      const list = command.action === 'list' || command.action === 'jobs';
      const format = output ?? (list && io.stdoutIsTerminal ? 'table' : 'json');
      print(
        format === 'table'
          ? renderTable(result, command.resource)
          : JSON.stringify(result, null, 2),
      );
    },
    note: (text) => io.stderr(`${text}\n`),
    goesOn,
  });
}

interface RunControl {
  /** See CommandContext.goesOn. */
  goesOn(hint: string): void;
  /** Aborted once the command is over (or cut short): requests still in flight are dropped. */
  done: AbortSignal;
}

/**
 * Runs `execute` until it ends or Ctrl-C: then says what goes on on the server, if the command
 * was waiting on something (`goesOn`), and answers 130 as a shell does for SIGINT.
 */
async function untilInterrupted(
  io: CliIo,
  execute: (control: RunControl) => Promise<number>,
): Promise<number> {
  const done = new AbortController();
  let hint: string | undefined;
  let onAbort = () => {};
  const interrupted = new Promise<'interrupted'>((resolve) => {
    onAbort = () => resolve('interrupted');
    if (io.interrupted?.aborted) onAbort();
    else io.interrupted?.addEventListener('abort', onAbort, { once: true });
  });
  const running = execute({
    goesOn: (text) => {
      hint = text;
    },
    done: done.signal,
  });
  try {
    const outcome = await Promise.race([running, interrupted]);
    if (outcome !== 'interrupted') return outcome;
    // What the command does once its requests are dropped no longer matters.
    running.catch(() => {});
    io.stderr(`slipway: interrupted${hint ? `; ${hint}` : ''}\n`);
    return EXIT.interrupted;
  } finally {
    io.interrupted?.removeEventListener('abort', onAbort);
    // A wait cut short (--timeout, Ctrl-C) may leave a request in flight; it would hold the exit.
    done.abort();
  }
}

/** `SLIPWAY_REQUEST_TIMEOUT`: how many seconds a request may go unanswered (default 30). */
function requestTimeoutMs(text: string | undefined): number {
  if (text === undefined || text === '') return REQUEST_TIMEOUT_MS;
  if (!/^\d+$/.test(text) || Number(text) === 0) {
    throw new UsageError(`SLIPWAY_REQUEST_TIMEOUT is "${text}"; expected whole seconds, 1 or more`);
  }
  return Number(text) * 1000;
}

/** `--body`: inline JSON, `-` for stdin, or a file holding JSON. */
async function readBody(source: string | boolean, io: CliIo): Promise<Record<string, unknown>> {
  if (typeof source !== 'string' || source === '')
    throw new UsageError(`--body needs a value: ${BODY_FLAG}`);
  const trimmed = source.trim();
  let text: string;
  let origin: string;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    text = source;
    origin = '--body';
  } else if (source === '-') {
    text = await io.readStdin();
    origin = '--body - (standard input)';
  } else {
    const file = path.resolve(io.cwd, source.replace(/^@/, ''));
    if (!existsSync(file)) {
      throw new UsageError(
        `--body is "${source}": neither JSON (it does not start with "{") nor an existing file`,
      );
    }
    text = readFileSync(file, 'utf8');
    origin = `--body file ${file}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${origin} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(
      `${origin} is ${JSON.stringify(parsed)?.slice(0, 60)}; expected a JSON object`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * `SLIPWAY_TOKEN`; failing that, for a server on this machine, the admin token its data dir
 * holds (`$SLIPWAY_DATA_DIR/admin-token`, by default `./.slipway/admin-token`).
 */
function tokenFromEnv(url: string, io: CliIo): { value: string; source: string } | undefined {
  if (io.env.SLIPWAY_TOKEN) return { value: io.env.SLIPWAY_TOKEN, source: 'SLIPWAY_TOKEN' };
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return undefined;
  const file = adminTokenFile(path.resolve(io.cwd, io.env.SLIPWAY_DATA_DIR ?? DEFAULT_DATA_DIR));
  if (!existsSync(file)) return undefined;
  return { value: readFileSync(file, 'utf8').trim(), source: `the admin token file ${file}` };
}

function resourceNames(): string[] {
  return [...new Set(COMMANDS.map((c) => c.resource))];
}

function overallHelp(): string {
  const lines = [
    'Usage: slipway <resource> <action> [--id ID] [--body JSON|FILE|-] [flags]',
    '',
    "Drives a Slipway server's REST API: workspaces and their deploys, DataTask tasks and",
    'pipelines, nullplatform applications, builds, releases, scopes and blue-green deployments,',
    'and the jobs that carry them out.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.resource} ${c.action}`.padEnd(24)}${c.summary}`),
    '',
    ...flagLines('Flags of every command:', GLOBAL_FLAGS),
    '',
    ...exitLines(),
    '',
    'Run "slipway <resource> <action> --help" for the flags of one command.',
  ];
  return `${lines.join('\n')}\n`;
}

function resourceHelp(resource: string): string {
  const actions = COMMANDS.filter((c) => c.resource === resource);
  const lines = [
    `Usage: slipway ${resource} <${actions.map((c) => c.action).join('|')}> [flags]`,
    '',
    ...actions.map((c) => `  ${c.action.padEnd(12)}${c.summary}`),
    '',
    `Run "slipway ${resource} <action> --help" for its flags.`,
  ];
  return `${lines.join('\n')}\n`;
}

function commandHelp(command: Command): string {
  const own: Record<string, string> = {
    ...(command.id
      ? {
          id: `${command.idHelp ?? `the ${command.resource === 'jobs' ? 'job' : command.resource}'s id`} (required)`,
        }
      : {}),
    ...(command.body
      ? { body: `${BODY_FLAG}${command.body === 'required' ? ' (required)' : ''}` }
      : {}),
    ...command.query,
    ...command.options,
  };
  const lines = [
    `Usage: slipway ${command.resource} ${command.action}${command.id ? ' --id ID' : ''}${command.body ? ' --body JSON|FILE|-' : ''} [flags]`,
    '',
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    ...(Object.keys(own).length > 0 ? [...flagLines('Flags:', own), ''] : []),
    ...flagLines('Flags of every command:', GLOBAL_FLAGS),
    '',
    'Example:',
    `  ${command.example}`,
    '',
    ...exitLines(),
  ];
  return `${lines.join('\n')}\n`;
}

function flagLines(title: string, flags: Record<string, string>): string[] {
  return [title, ...Object.entries(flags).map(([name, text]) => `  --${name.padEnd(20)}${text}`)];
}

function exitLines(): string[] {
  return [
    'Exit codes: 0 done; 1 the server refused, or what was awaited failed; 2 the command line is',
    'wrong; 3 the server cannot be reached.',
  ];
}
