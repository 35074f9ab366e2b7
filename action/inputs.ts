import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isCommitId } from '../core/source/git.js';

export const COMMANDS = [
  'deploy-workspace',
  'deploy-task',
  'run-pipeline',
  'deploy-release',
  'switch-traffic',
  'finalize',
  'cancel',
] as const;
export type Command = (typeof COMMANDS)[number];

/** Commands that run in the runner against a cluster (`kubeconfig`); the rest need a server. */
export const DIRECT_COMMANDS: readonly Command[] = [
  'deploy-workspace',
  'deploy-task',
  'run-pipeline',
];

/** An input that cannot be used as given: the step fails with this message. */
export class InputError extends Error {
  override name = 'InputError';
}

export type Mode =
  | { kind: 'remote'; serverUrl: string; token: string }
  | { kind: 'direct'; kubeconfig: string };

/** Every input, parsed once, and what the runner tells about the run. */
export interface Settings {
  command: Command;
  mode: Mode;
  workspace?: string;
  repository: string;
  directory: string;
  namespace?: string;
  name?: string;
  branch?: string;
  /** deploy-workspace (remote): this commit instead of the branch head. */
  commit?: string;
  release?: number;
  scope?: number;
  traffic?: number;
  wait: boolean;
  timeoutMs: number;
  dryRun: boolean;
  /** deploy-workspace (remote): deploy even while the workspace's deploys are paused. */
  force: boolean;
  run: RunContext;
}

/** What the runner's environment says about this workflow run. */
export interface RunContext {
  /** `owner/name` of the repository the workflow runs in. */
  repository: string;
  /**
   * The branch the run is for: in pull_request runs the pull request's own branch
   * (`GITHUB_HEAD_REF`), since `GITHUB_REF_NAME` is then its merge ref, `<number>/merge`, which
   * no repository has as a branch; otherwise the branch or tag of the run (`GITHUB_REF_NAME`).
   */
  branch?: string;
  sha?: string;
  /** The checked-out repository (`GITHUB_WORKSPACE`). */
  checkout: string;
}

/**
 * Parses the Action's inputs (`read` is `core.getInput`) and the runner's environment into
 * settings. Each invalid input throws an InputError that quotes the value and says what is
 * expected; combinations a command cannot use are refused the same way.
 *
 * @example
 * parseInputs((n) => ({ command: 'finalize', 'server-url': 'https://s', token: 't', scope: '3' })[n] ?? '', env)
 */
export function parseInputs(read: (name: string) => string, env: NodeJS.ProcessEnv): Settings {
  const text = (name: string): string | undefined => read(name).trim() || undefined;
  const command = oneOf(text('command'), 'command', COMMANDS);
  const serverUrl = text('server-url');
  const kubeconfig = text('kubeconfig');
  let mode: Mode;
  if (serverUrl && kubeconfig) {
    throw new InputError(
      '"server-url" and "kubeconfig" are both set; expected one: a Slipway server (remote) or a cluster (direct)',
    );
  }
  if (serverUrl) {
    const url = URL.canParse(serverUrl) ? new URL(serverUrl) : undefined;
    if (!/^https?:\/\/[^/\s]+$|^https?:\/\/[^/\s]+\/\S*$/.test(serverUrl) || !url) {
      throw new InputError(
        `Input "server-url" is "${serverUrl}"; expected an http(s) URL such as https://slipway.example.com`,
      );
    }
    // The token goes in its own input (masked); a URL's credentials would be shown in messages.
    if (url.username || url.password) {
      throw new InputError(
        'Input "server-url" carries credentials (user:password@); expected the URL alone, with the API token in the "token" input',
      );
    }
    if (url.search || url.hash) {
      throw new InputError(
        `Input "server-url" is "${url.origin}${url.pathname}" with a query or fragment; expected the server's URL alone, such as https://slipway.example.com`,
      );
    }
    const token = text('token');
    if (!token)
      throw new InputError(
        'Input "token" is empty; remote mode (server-url) needs a Slipway API token',
      );
    // An HTTP header holds visible ASCII only: anything else was never a Slipway token.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new InputError(
        'Input "token" holds a space, a line break or a character outside ASCII; expected a Slipway API token as it was given (slw_...)',
      );
    }
    mode = { kind: 'remote', serverUrl: serverUrl.replace(/\/+$/, ''), token };
  } else if (kubeconfig) {
    if (!DIRECT_COMMANDS.includes(command)) {
      throw new InputError(
        `command "${command}" needs a Slipway server: set "server-url" and "token" (direct mode runs ${DIRECT_COMMANDS.join(', ')})`,
      );
    }
    mode = { kind: 'direct', kubeconfig: kubeconfigText(kubeconfig) };
  } else {
    throw new InputError(
      'neither "server-url" nor "kubeconfig" is set; expected one: a Slipway server (with "token") or a cluster',
    );
  }

  refuseUnused(text, command, mode.kind);

  const run: RunContext = {
    repository: env.GITHUB_REPOSITORY ?? '',
    checkout: env.GITHUB_WORKSPACE ?? process.cwd(),
    ...(env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME
      ? { branch: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME }
      : {}),
    ...(env.GITHUB_SHA ? { sha: env.GITHUB_SHA } : {}),
  };
  const directory = text('directory') ?? '.';
  if (path.isAbsolute(directory) || directory.split(/[\\/]/).includes('..')) {
    throw new InputError(
      `Input "directory" is "${directory}"; expected a path inside the repository, such as tasks/hello`,
    );
  }
  const settings: Settings = {
    command,
    mode,
    repository: text('repository') ?? run.repository,
    directory: directory.replace(/\/+$/, '') || '.',
    wait: bool(text('wait'), 'wait', true),
    timeoutMs:
      (whole(text('timeout'), 'timeout', 1, 86_400, 'seconds from 1 to 86400') ?? 600) * 1000,
    dryRun: bool(text('dry-run'), 'dry-run', false),
    force: bool(text('force'), 'force', false),
    run,
  };
  if (mode.kind === 'direct' && !settings.wait) {
    throw new InputError(
      'Input "wait" is "false", but in direct mode (kubeconfig) the deploy runs inside this step and ends with it; expected wait: true, or a Slipway server (server-url) for a deploy that goes on',
    );
  }
  for (const [key, input] of [
    ['workspace', 'workspace'],
    ['namespace', 'namespace'],
    ['name', 'name'],
    ['branch', 'branch'],
  ] as const) {
    const value = text(input);
    if (value !== undefined) settings[key] = value;
  }
  const release = whole(
    text('release'),
    'release',
    1,
    Number.MAX_SAFE_INTEGER,
    'the integer id of a release',
  );
  const scope = whole(
    text('scope'),
    'scope',
    1,
    Number.MAX_SAFE_INTEGER,
    'the integer id of a scope',
  );
  const traffic = whole(text('traffic'), 'traffic', 0, 100, 'a whole percentage from 0 to 100');
  if (release !== undefined) settings.release = release;
  if (scope !== undefined) settings.scope = scope;
  if (traffic !== undefined) settings.traffic = traffic;

  const need = (input: string, value: unknown) => {
    if (value === undefined || value === '')
      throw new InputError(`command "${command}" needs the "${input}" input`);
  };
  if (command === 'deploy-workspace' && mode.kind === 'remote')
    need('workspace', settings.workspace);
  if ((command === 'deploy-task' || command === 'run-pipeline') && mode.kind === 'remote')
    need('repository', settings.repository);
  if (command === 'deploy-release') {
    need('scope', settings.scope);
    need('release', settings.release);
  }
  if (command === 'switch-traffic') {
    need('scope', settings.scope);
    need('traffic', settings.traffic);
  }
  if (command === 'finalize' || command === 'cancel') need('scope', settings.scope);
  const commit = text('commit');
  if (commit !== undefined) {
    if (command !== 'deploy-workspace' || mode.kind !== 'remote') {
      throw new InputError(
        `Input "commit" is set; only deploy-workspace in remote mode deploys a given commit (direct mode deploys the checked-out one), not ${command}${mode.kind === 'direct' ? ' in direct mode' : ''}`,
      );
    }
    if (!isCommitId(commit)) {
      throw new InputError(
        `Input "commit" is "${commit}"; expected a full commit id (40 hex characters), such as \${{ github.sha }}`,
      );
    }
    settings.commit = commit;
  }
  if (settings.branch !== undefined) {
    const uses =
      mode.kind === 'remote' && (command === 'deploy-task' || command === 'run-pipeline');
    if (!uses) {
      const why =
        mode.kind === 'direct'
          ? `${command} in direct mode: it deploys the checked-out commit`
          : command === 'deploy-workspace'
            ? `deploy-workspace: a workspace deploys its own branch, set on the server ("commit" picks one of its commits)`
            : command;
      throw new InputError(
        `Input "branch" is "${settings.branch}"; only deploy-task and run-pipeline in remote mode deploy a given branch, not ${why}`,
      );
    }
  }
  if (settings.force && (command !== 'deploy-workspace' || mode.kind !== 'remote')) {
    throw new InputError(
      `Input "force" is "true"; only deploy-workspace in remote mode deploys past a pause (a workspace's deploys are paused on a Slipway server), not ${command}${mode.kind === 'direct' ? ' in direct mode' : ''}`,
    );
  }
  if (settings.dryRun && command !== 'deploy-workspace') {
    throw new InputError(
      `Input "dry-run" is "true"; only deploy-workspace can plan, not ${command}`,
    );
  }
  return settings;
}

const TASK_OR_PIPELINE = (c: Command) => c === 'deploy-task' || c === 'run-pipeline';

/**
 * The inputs that say what to act on, and where each is read. Set where it is not, it would
 * be ignored without a word, and the step would act on something else than its author meant.
 */
const USED_BY: Array<[input: string, used: (c: Command, m: Mode['kind']) => boolean, by: string]> =
  [
    ['token', (_, m) => m === 'remote', 'remote mode (server-url)'],
    ['workspace', (c) => c === 'deploy-workspace', 'deploy-workspace'],
    [
      'repository',
      (c, m) => TASK_OR_PIPELINE(c) && m === 'remote',
      'deploy-task and run-pipeline in remote mode (direct mode deploys the checked-out repository)',
    ],
    ['directory', TASK_OR_PIPELINE, 'deploy-task and run-pipeline'],
    [
      'namespace',
      (c, m) => TASK_OR_PIPELINE(c) || (c === 'deploy-workspace' && m === 'direct'),
      'deploy-task, run-pipeline, and deploy-workspace in direct mode (a workspace on a server has its namespace there)',
    ],
    ['name', TASK_OR_PIPELINE, 'deploy-task and run-pipeline'],
    ['release', (c) => c === 'deploy-release', 'deploy-release'],
    [
      'scope',
      (c) => ['deploy-release', 'switch-traffic', 'finalize', 'cancel'].includes(c),
      'deploy-release, switch-traffic, finalize and cancel',
    ],
    ['traffic', (c) => c === 'switch-traffic', 'switch-traffic'],
  ];

/** Refuses an input that `command` in this mode does not read (`directory` at its default is not set). */
function refuseUnused(
  text: (name: string) => string | undefined,
  command: Command,
  mode: Mode['kind'],
): void {
  for (const [input, used, by] of USED_BY) {
    const value = text(input);
    if (value === undefined || (input === 'directory' && value === '.') || used(command, mode)) {
      continue;
    }
    throw new InputError(
      `Input "${input}" is set, but ${command}${mode === 'direct' ? ' in direct mode' : ''} does not use it; it is for ${by}`,
    );
  }
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
): T {
  if (value && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(
    `Input "${name}" is "${value ?? ''}"; expected one of ${allowed.join(', ')}`,
  );
}

function bool(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(`Input "${name}" is "${value}"; expected true or false`);
}

function whole(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  expected: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new InputError(`Input "${name}" is "${value}"; expected ${expected}`);
  return n;
}

/**
 * The kubeconfig: the input itself when it is a kubeconfig's content (YAML, or JSON as kubectl
 * also reads), else the file it names. Its content is a secret: no message quotes it, and of a
 * path no more than its first characters.
 */
function kubeconfigText(value: string): string {
  const content =
    /^\s*\{/.test(value) || /\n/.test(value) || /^\s*(apiVersion|clusters|kind)\s*:/m.test(value);
  if (content) {
    if (!isMapping(value)) {
      throw new InputError(
        'Input "kubeconfig" looks like kubeconfig content but does not parse as a YAML or JSON mapping; expected a kubeconfig (its content, or the path of one)',
      );
    }
    return value;
  }
  if (existsSync(value)) return readFileSync(value, 'utf8');
  const start = /^[\w./~-]+$/.test(value) ? `, starting "${value.slice(0, 4)}...",` : '';
  throw new InputError(
    `Input "kubeconfig"${start} looks like neither kubeconfig content nor an existing path; expected a kubeconfig's content (YAML or JSON) or the path of one`,
  );
}

function isMapping(text: string): boolean {
  try {
    const parsed = parseYaml(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/**
 * What to mask of a kubeconfig: all of it, each of its lines that has a secret, and each
 * credential in it (a `token`, `client-key-data`, `password`, an auth provider's
 * `id-token`...), whether it is YAML or JSON.
 */
export function kubeconfigSecrets(text: string): string[] {
  const secrets = new Set<string>([text.trim()]);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (typeof value === 'string' && /token|password|secret|key-data/i.test(key) && value)
          secrets.add(value);
        else walk(value);
      }
    }
  };
  try {
    walk(parseYaml(text));
  } catch {
    // A kubeconfig that does not parse is masked whole; the cluster client says what is wrong.
  }
  for (const line of text.split('\n')) {
    if ([...secrets].some((secret) => secret !== text.trim() && line.includes(secret)))
      secrets.add(line.trim());
  }
  return [...secrets].filter((secret) => secret.length > 0);
}
