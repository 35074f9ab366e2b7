import type { ApiClient } from './api-client.js';
import { UsageError } from './parse-args.js';

/** What a command's handler is given. */
export interface CommandContext {
  client: ApiClient;
  /** The command's query flags, as given; those of `several` split at commas. */
  query: Record<string, string | string[]>;
  /** The command's other flags. */
  options: Map<string, string | boolean>;
  id: string | undefined;
  body: Record<string, unknown> | undefined;
  /** stdout: results, JSON. */
  print(text: string): void;
  /** Resolves once stdout has taken what was printed: a stream waits for a slow reader. */
  drained(): Promise<void>;
  /** stdout: what the server answered, as `--output` asks (JSON, or a table for people). */
  printResult(body: unknown): void;
  /** stderr: progress and diagnostics. */
  note(text: string): void;
  /**
   * While waiting: what goes on on the server should the wait be cut short by Ctrl-C, and how to
   * stop it; said on stderr then.
   */
  goesOn(hint: string): void;
}

export interface Command {
  resource: string;
  action: string;
  summary: string;
  /** `required`: the command refuses to run without `--id`. */
  id?: 'required';
  /** What `--id` names, for `--help`; by default the resource's id. */
  idHelp?: string;
  body?: 'required' | 'optional';
  /** Flags sent as query parameters, with what they mean. */
  query?: Record<string, string>;
  /** Query flags that take several values, comma-separated: each is sent as its own parameter. */
  several?: string[];
  /** Other flags the command takes, with what they mean. */
  options?: Record<string, string>;
  /** Flags of `options` that take no value. */
  booleans?: string[];
  example: string;
  run(context: CommandContext): Promise<number>;
}

/** A request whose answer is printed as JSON; 204 prints nothing. */
export function call(
  method: string,
  path: (id: string | undefined) => string,
  defaults: Record<string, unknown> = {},
): Command['run'] {
  return async ({ client, query, id, body, printResult }) => {
    const answer = await client.request(method, path(id), {
      ...(body !== undefined || method === 'POST' ? { body: { ...defaults, ...body } } : {}),
      query,
    });
    if (answer.body !== undefined) printResult(answer.body);
    return 0;
  };
}

/**
 * A flag that takes a value: the value, or undefined when absent; refused when given bare or
 * empty (`--id ""`, `--id=`), which would otherwise ask the server for something else.
 */
export function stringFlag(flags: Map<string, string | boolean>, name: string): string | undefined {
  const value = flags.get(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`--${name} needs a value`);
  }
  return value;
}

/** `--timeout` in whole seconds (1 or more), as milliseconds; `fallback` seconds when absent. */
export function timeoutMs(options: Map<string, string | boolean>, fallback: number): number {
  const timeout = stringFlag(options, 'timeout') ?? String(fallback);
  if (!/^\d+$/.test(timeout) || Number(timeout) === 0) {
    throw new UsageError(`--timeout is "${timeout}"; expected whole seconds, 1 or more`);
  }
  return Number(timeout) * 1000;
}
