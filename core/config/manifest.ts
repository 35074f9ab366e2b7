import { Cron } from 'croner';
import { z } from 'zod';
import type { Problem } from '../errors.js';
import type { EnvVar, Published } from '../runtime/types.js';
import { parseJsonSource } from './json-source.js';
import { issuesToProblems } from './problems.js';

/** A task's `manifest.json` (DESIGN.md section 7.2), after validation. */
export interface TaskManifest {
  name: string;
  type: 'job' | 'deployment' | 'service';
  labels: Record<string, string>;
  imageDestination: string | null;
  cmd: string[] | null;
  env: EnvVar[];
  /** Cron expression; null when absent or empty. Only jobs have one (they become cron jobs). */
  schedule: string | null;
  replicas: number | null;
  containerPort: number | null;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
  cpuRequest: string | null;
  cpuLimit: string | null;
  memoryRequest: string | null;
  memoryLimit: string | null;
  published: Published | null;
}

/** Lowercase RFC 1123 label: what Kubernetes accepts as an object name. */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUANTITY =
  /^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+|E[+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const TASK_TYPES = ['job', 'deployment', 'service'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export const TASK_MANIFEST_KEYS = [
  'name',
  'type',
  'labels',
  'image-destination',
  'cmd',
  'env',
  'schedule',
  'replicas',
  'container-port',
  'image-pull-policy',
  'cpu-request',
  'cpu-limit',
  'memory-request',
  'memory-limit',
  'published',
] as const;
const PUBLISHED_KEYS = [
  'access',
  'prefix',
  'rewrite',
  'timeout_ms',
  'sticky_sessions',
  'bypass_auth',
] as const;

export const objectName = z
  .string({ error: 'expected a string' })
  .max(63, { error: 'expected at most 63 characters' })
  .regex(NAME_PATTERN, {
    error: "expected lowercase letters, digits and '-', starting and ending with a letter or digit",
  });

const quantity = z
  .string({ error: 'expected a string such as "100m", "0.5", "128Mi" or "1G"' })
  .regex(QUANTITY, {
    error: 'expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1G"',
  });

const optionalText = z.string({ error: 'expected a string' }).optional();

/** The zod schema of `manifest.json`; unknown keys are refused. */
export const taskManifestSchema = z
  .strictObject(
    {
      name: objectName,
      type: z.enum(TASK_TYPES, { error: `expected one of ${TASK_TYPES.join(', ')}` }),
      labels: z
        .string({ error: 'expected a string like "team:data" or "team:data,tier:batch"' })
        .optional(),
      'image-destination': optionalText,
      cmd: z
        .array(z.string({ error: 'expected a string' }), { error: 'expected an array of strings' })
        .min(1, { error: 'expected at least the program to run' })
        .optional(),
      env: z
        .array(
          z.strictObject(
            {
              name: z.string({ error: 'expected a string' }).regex(ENV_NAME, {
                error: 'expected letters, digits and "_", not starting with a digit',
              }),
              value: z.string({ error: 'expected a string (quote numbers and booleans)' }),
            },
            { error: 'expected an object {"name": ..., "value": ...}' },
          ),
          { error: 'expected an array of {"name": ..., "value": ...}' },
        )
        .optional(),
      schedule: z.string({ error: 'expected a cron expression string ("" for none)' }).optional(),
      replicas: z
        .number({ error: 'expected a whole number' })
        .int({ error: 'expected a whole number' })
        .min(0, { error: 'expected 0 or more' })
        .optional(),
      'container-port': z
        .number({ error: 'expected a port number' })
        .int({ error: 'expected a whole port number' })
        .min(1, { error: 'expected a port from 1 to 65535' })
        .max(65_535, { error: 'expected a port from 1 to 65535' })
        .optional(),
      'image-pull-policy': z
        .enum(PULL_POLICIES, { error: `expected one of ${PULL_POLICIES.join(', ')}` })
        .optional(),
      'cpu-request': quantity.optional(),
      'cpu-limit': quantity.optional(),
      'memory-request': quantity.optional(),
      'memory-limit': quantity.optional(),
      published: z
        .strictObject(
          {
            access: optionalText,
            prefix: z
              .string({ error: 'expected a string' })
              .startsWith('/', { error: 'expected a path starting with "/"' })
              .optional(),
            rewrite: optionalText,
            timeout_ms: z
              .number({ error: 'expected milliseconds' })
              .int({ error: 'expected whole milliseconds' })
              .positive({ error: 'expected more than 0' })
              .optional(),
            sticky_sessions: z.boolean({ error: 'expected true or false' }).optional(),
            bypass_auth: z.boolean({ error: 'expected true or false' }).optional(),
          },
          { error: 'expected an object' },
        )
        .optional(),
    },
    { error: 'expected a JSON object' },
  )
  .superRefine((manifest, ctx) => {
    if (manifest.schedule) {
      const problem = cronProblem(manifest.schedule);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['schedule'],
          input: manifest.schedule,
          message: problem,
        });
      else if (manifest.type !== 'job') {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule'],
          message: `"schedule" is set on a ${manifest.type}; only a job can have a schedule (it becomes a cron job)`,
        });
      }
    }
    if (manifest.published && manifest.type !== 'service') {
      ctx.addIssue({
        code: 'custom',
        path: ['published'],
        message: `"published" is set on a ${manifest.type}; only a service can be published`,
      });
    }
    if (manifest.labels !== undefined) {
      for (const problem of labelProblems(manifest.labels)) {
        ctx.addIssue({ code: 'custom', path: ['labels'], message: problem });
      }
    }
  });

/**
 * Validates a `manifest.json` and returns it typed, or every problem with its file, JSON path,
 * line and column.
 *
 * @example
 * const parsed = parseTaskManifest(text, 'tasks/hello/manifest.json');
 * if (!parsed.ok) parsed.problems.map(formatProblem);
 */
export function parseTaskManifest(
  text: string,
  file: string,
): { ok: true; manifest: TaskManifest } | { ok: false; problems: Problem[] } {
  const json = parseJsonSource(text, file);
  if (!json.ok) return json;
  const parsed = taskManifestSchema.safeParse(json.source.value, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(parsed.error.issues, json.source, {
        '': TASK_MANIFEST_KEYS,
        published: PUBLISHED_KEYS,
        'env[]': ['name', 'value'],
      }),
    };
  }
  const m = parsed.data;
  return {
    ok: true,
    manifest: {
      name: m.name,
      type: m.type,
      labels: m.labels ? parseLabels(m.labels) : {},
      imageDestination: m['image-destination'] || null,
      cmd: m.cmd ?? null,
      env: m.env ?? [],
      schedule: m.schedule?.trim() || null,
      replicas: m.replicas ?? null,
      containerPort: m['container-port'] ?? null,
      imagePullPolicy: m['image-pull-policy'] ?? null,
      cpuRequest: m['cpu-request'] ?? null,
      cpuLimit: m['cpu-limit'] ?? null,
      memoryRequest: m['memory-request'] ?? null,
      memoryLimit: m['memory-limit'] ?? null,
      published: m.published
        ? {
            ...(m.published.access !== undefined ? { access: m.published.access } : {}),
            ...(m.published.prefix !== undefined ? { prefix: m.published.prefix } : {}),
            ...(m.published.rewrite !== undefined ? { rewrite: m.published.rewrite } : {}),
            ...(m.published.timeout_ms !== undefined ? { timeoutMs: m.published.timeout_ms } : {}),
            ...(m.published.sticky_sessions !== undefined
              ? { stickySessions: m.published.sticky_sessions }
              : {}),
            ...(m.published.bypass_auth !== undefined
              ? { bypassAuth: m.published.bypass_auth }
              : {}),
          }
        : null,
    },
  };
}

/**
 * `"team:data, tier:batch"` -> `{team: 'data', tier: 'batch'}`.
 *
 * @example
 * parseLabels('team:data,tier:batch') // { team: 'data', tier: 'batch' }
 */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const index = pair.indexOf(':');
    labels[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
  }
  return labels;
}

function labelProblems(text: string): string[] {
  const problems: string[] = [];
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const index = pair.indexOf(':');
    if (index < 0) {
      problems.push(`"labels" has "${pair}"; expected key:value pairs separated by commas`);
      continue;
    }
    const key = pair.slice(0, index).trim();
    const value = pair.slice(index + 1).trim();
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : '';
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (
      !LABEL_NAME.test(name) ||
      name.length > 63 ||
      (slash >= 0 && (!LABEL_PREFIX.test(prefix) || prefix.length > 253))
    ) {
      problems.push(
        `"labels" key "${key}" is not a valid Kubernetes label key; expected [prefix/]name with letters, digits, '-', '_' and '.'`,
      );
    }
    if (!LABEL_VALUE.test(value) || value.length > 63) {
      problems.push(
        `"labels" value "${value}" of "${key}" is not a valid Kubernetes label value; expected at most 63 letters, digits, '-', '_' and '.'`,
      );
    }
  }
  return problems;
}

/** Why a cron expression is invalid, or null when croner accepts it (5 or 6 fields, @daily...). */
export function cronProblem(expression: string): string | null {
  try {
    new Cron(expression.trim(), { paused: true }).stop();
    return null;
  } catch (error) {
    return `"schedule" is "${expression}"; expected a cron expression like "*/5 * * * *" (${(error as Error).message})`;
  }
}
